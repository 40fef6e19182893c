import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { defaultUrl, loadTypeDefs, ROOT, SUBGRAPHS } from './subgraphs';

export const SUPERGRAPH_PATH = join(ROOT, 'schema', 'supergraph.graphql');

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

function main() {
  const check = process.argv.includes('--check');
  const { supergraphSdl, errors, hints } = composeSupergraph();
  for (const hint of hints) console.warn(`hint ${hint.definition.code}: ${hint.message}`);
  if (!supergraphSdl) {
    for (const error of errors) console.error(`error: ${error}`);
    process.exit(1);
  }
  if (check) {
    if (readFileSync(SUPERGRAPH_PATH, 'utf8') !== supergraphSdl) {
      console.error('schema/supergraph.graphql is stale: run npm run compose');
      process.exit(1);
    }
    console.log('schema/supergraph.graphql is up to date');
    return;
  }
  writeFileSync(SUPERGRAPH_PATH, supergraphSdl);
  console.log(`wrote ${SUPERGRAPH_PATH}`);
}

if (require.main === module) main();
