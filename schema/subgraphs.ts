import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type DocumentNode } from 'graphql';

/** The subgraphs of the marketplace and the ports they listen on when run one per process. */
export const SUBGRAPHS = [
  { name: 'accounts', port: 4001 },
  { name: 'listings', port: 4002 },
  { name: 'orders', port: 4003 },
  { name: 'payments', port: 4004 },
  { name: 'reputation', port: 4005 },
  { name: 'notifications', port: 4006 },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

export const ROOT = join(__dirname, '..');

export function schemaPath(name: SubgraphName): string {
  return join(ROOT, 'subgraphs', name, 'schema.graphql');
}

export function loadTypeDefs(name: SubgraphName): DocumentNode {
  return parse(readFileSync(schemaPath(name), 'utf8'));
}

export function defaultPort(name: SubgraphName): number {
  return SUBGRAPHS.find((s) => s.name === name)!.port;
}

/** The routing URL written into the committed supergraph; the router may override it per subgraph. */
export function defaultUrl(name: SubgraphName): string {
  return `http://localhost:${defaultPort(name)}/graphql`;
}
