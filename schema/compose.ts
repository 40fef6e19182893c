import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { printSchema } from 'graphql';
import { manifestFromDocuments } from '../router/partners/manifest';
import { defaultUrl, loadTypeDefs, ROOT, SUBGRAPHS } from './subgraphs';

export const SUPERGRAPH_PATH = join(ROOT, 'schema', 'supergraph.graphql');
/** The schema clients see (no federation machinery): what client codegen and tools read. */
export const API_SCHEMA_PATH = join(ROOT, 'schema', 'api.graphql');
/** Every operation of schema/operations by id: the first-party safelist, and the partners' starting point. */
export const FIRST_PARTY_MANIFEST_PATH = join(ROOT, 'schema', 'manifests', 'first-party.json');
const OPERATIONS_DIR = join(ROOT, 'schema', 'operations');

type CompositionHint = NonNullable<ReturnType<typeof composeServices>['hints']>[number];

export interface Composition {
  supergraphSdl?: string;
  errors: string[];
  hints: CompositionHint[];
}

export function composeSupergraph(): Composition {
  const result = composeServices(
    SUBGRAPHS.map(({ name }) => ({ name, url: defaultUrl(name), typeDefs: loadTypeDefs(name) })),
  );
  if (result.errors) {
    return { errors: result.errors.map((e) => e.message), hints: result.hints ?? [] };
  }
  return { supergraphSdl: result.supergraphSdl, errors: [], hints: result.hints };
}

/** What composing makes from the subgraphs' SDL and schema/operations, file by file. */
export function composedFiles(supergraphSdl: string): Record<string, string> {
  const api = Supergraph.build(supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES }).apiSchema().toGraphQLJSSchema();
  const operations = readdirSync(OPERATIONS_DIR)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(join(OPERATIONS_DIR, file), 'utf8'));
  return {
    [SUPERGRAPH_PATH]: supergraphSdl,
    [API_SCHEMA_PATH]: `${printSchema(api)}\n`,
    [FIRST_PARTY_MANIFEST_PATH]: `${JSON.stringify(manifestFromDocuments(operations), null, 2)}\n`,
  };
}

function main() {
  const check = process.argv.includes('--check');
  const { supergraphSdl, errors, hints } = composeSupergraph();
  for (const hint of hints) console.warn(`hint ${hint.definition.code}: ${hint.message}`);
  if (!supergraphSdl) {
    for (const error of errors) console.error(`error: ${error}`);
    process.exit(1);
  }
  const files = composedFiles(supergraphSdl);
  if (check) {
    const stale = Object.entries(files).filter(([path, content]) => !existsSync(path) || readFileSync(path, 'utf8') !== content);
    for (const [path] of stale) console.error(`${path.slice(ROOT.length + 1)} is stale: run npm run compose`);
    if (stale.length) process.exit(1);
    console.log('composed files are up to date');
    return;
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${path.slice(ROOT.length + 1)}`);
  }
}

if (require.main === module) main();
