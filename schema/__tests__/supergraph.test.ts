import { readFileSync } from 'node:fs';
import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { buildASTSchema, validate, type GraphQLSchema } from 'graphql';
import { operationFiles } from '../../lib/client/operations';
import { DEFAULT_LIMITS, validateWithLimits } from '../../router/limits';
import { composedFiles, composeSupergraph, SUPERGRAPH_PATH } from '../compose';

const composition = composeSupergraph();

function apiSchema(): GraphQLSchema {
  const supergraph = Supergraph.build(readFileSync(SUPERGRAPH_PATH, 'utf8'), {
    supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES,
  });
  return buildASTSchema(supergraph.apiSchema().toAST());
}

test('the subgraphs compose without errors', () => {
  expect(composition.errors).toEqual([]);
});

test('composition gives no hints (each one is a schema smell worth fixing)', () => {
  expect(composition.hints.map((h) => `${h.definition.code}: ${h.message}`)).toEqual([]);
});

test('the committed supergraph, API schema and first-party manifest are what composing makes (run npm run compose)', () => {
  for (const [path, content] of Object.entries(composedFiles(composition.supergraphSdl!))) expect([path, readFileSync(path, 'utf8')]).toEqual([path, content]);
});

describe('client documents under schema/operations validate against the API schema', () => {
  const schema = apiSchema();
  test.each(operationFiles().map(({ file, document }) => [file, document] as const))('%s', (_file, document) => {
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
  });
  test.each(operationFiles().map(({ file, document }) => [file, document] as const))('%s stays within the router\'s default limits', (_file, document) => {
    expect(validateWithLimits(schema, document, DEFAULT_LIMITS).map((e) => e.message)).toEqual([]);
  });
});
