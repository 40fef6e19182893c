import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';

export const OPERATIONS_DIR = join(__dirname, '..', '..', 'schema', 'operations');

/** Every client document under schema/operations, by file. */
export function operationFiles(): { file: string; document: DocumentNode }[] {
  return readdirSync(OPERATIONS_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((file) => ({ file, document: parse(readFileSync(join(OPERATIONS_DIR, file), 'utf8')) }));
}

let byName: Map<string, string> | undefined;

/** The text of one named operation, as a client would send it. */
export function operation(name: string): string {
  if (!byName) {
    byName = new Map();
    for (const { document } of operationFiles()) {
      for (const definition of document.definitions) {
        if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) {
          byName.set(definition.name.value, print(definition as OperationDefinitionNode));
        }
      }
    }
  }
  const text = byName.get(name);
  if (!text) throw new Error(`no operation named ${name} under schema/operations`);
  return text;
}
