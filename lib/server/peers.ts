import { defaultUrl, type SubgraphName } from '../../schema/subgraphs';
import type { Env } from './subgraph-module';

/** SUBGRAPH_URL_<NAME> when set (the router reads the same variables), else the default local port. */
export function peerUrlFromEnv(env: Env): (subgraph: string) => string {
  return (subgraph) => env[`SUBGRAPH_URL_${subgraph.toUpperCase()}`] ?? defaultUrl(subgraph as SubgraphName);
}
