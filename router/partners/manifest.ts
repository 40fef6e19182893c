import { createHash } from 'node:crypto';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';

/** Apollo's persisted query manifest: what a partner may run, each operation by the sha256 of its body. */
export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: ManifestOperation[];
}

export interface ManifestOperation {
  /** sha256 hex of `body`. */
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export class ManifestError extends Error {}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** Reads a manifest, refusing any whose ids do not hash their bodies or whose bodies do not parse. */
export function parseManifest(json: unknown): PersistedQueryManifest {
  const manifest = json as Partial<PersistedQueryManifest> | null;
  if (!manifest || manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    throw new ManifestError('not an Apollo persisted query manifest (format "apollo-persisted-query-manifest", version 1, operations [])');
  }
  for (const operation of manifest.operations) {
    if (!operation || typeof operation.body !== 'string' || typeof operation.id !== 'string') throw new ManifestError('every operation needs an id and a body');
    if (sha256Hex(operation.body) !== operation.id) throw new ManifestError(`operation ${operation.name ?? operation.id}: its id is not the sha256 of its body`);
    try {
      parse(operation.body);
    } catch (error) {
      throw new ManifestError(`operation ${operation.name ?? operation.id} does not parse: ${(error as Error).message}`);
    }
  }
  return manifest as PersistedQueryManifest;
}

/**
 * One manifest entry per operation in `.graphql` sources, each body the operation and the fragments it
 * uses, printed: the same text, and so the same id, whichever file the operation came from.
 */
export function manifestFromDocuments(sources: string[]): PersistedQueryManifest {
  const definitions = sources.flatMap((source) => parse(source).definitions);
  const fragments = new Map(
    definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const operations = definitions
    .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => {
      if (!operation.name) throw new ManifestError('every operation of a manifest needs a name');
      const body = print({ kind: Kind.DOCUMENT, definitions: [operation, ...fragmentsOf(operation, fragments)] } as DocumentNode);
      return { id: sha256Hex(body), name: operation.name.value, type: operation.operation, body };
    });
  return manifestOf(operations);
}

/**
 * A manifest from GraphQL Code Generator's persisted documents (`{ "<hash>": "<body>" }`, the client
 * preset's `persistedDocuments` output); its `sha256:` prefix is dropped, ids are the bodies' hashes.
 */
export function manifestFromPersistedDocuments(documents: Record<string, string>): PersistedQueryManifest {
  const operations = Object.values(documents).map((body) => {
    const operation = parse(body).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (!operation?.name) throw new ManifestError('every persisted document needs one named operation');
    return { id: sha256Hex(body), name: operation.name.value, type: operation.operation, body };
  });
  return manifestOf(operations);
}

/** Operations sorted by name, so that the same operations always make the same file. */
function manifestOf(operations: ManifestOperation[]): PersistedQueryManifest {
  return { format: 'apollo-persisted-query-manifest', version: 1, operations: operations.sort((a, b) => a.name.localeCompare(b.name)) };
}

function fragmentsOf(root: DefinitionNode, fragments: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const collect = (node: DefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          collect(fragment);
        }
      },
    });
  collect(root);
  return [...used.values()].sort((a, b) => a.name.value.localeCompare(b.name.value));
}
