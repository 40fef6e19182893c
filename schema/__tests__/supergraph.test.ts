import { readFileSync } from 'node:fs';
import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { buildASTSchema, validate, type GraphQLSchema } from 'graphql';
import { operationFiles } from '../../lib/client/operations';
import { composeSupergraph, SUPERGRAPH_PATH } from '../compose';

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

test('the committed supergraph is what the subgraphs compose to (run npm run compose)', () => {
  expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(composition.supergraphSdl);
});

describe('client documents under schema/operations validate against the API schema', () => {
  const schema = apiSchema();
  test.each(operationFiles().map(({ file, document }) => [file, document] as const))('%s', (_file, document) => {
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
  });
});
