import { composeServices } from '@apollo/composition';
import { parse, type GraphQLSchema } from 'graphql';
import { faults, legacy } from './faults';
import { orders, payments } from './ledger';
import { media, ratings } from './media';
import { accounts, reviews } from './people';
import { catalog, shipping } from './products';
import { serveSubgraph, type ServedSubgraph } from './serve';

/** Every compliance subgraph by name; `legacy` is stopped once composed (see faults.ts). */
export const COMPLIANCE_SUBGRAPHS: Record<string, GraphQLSchema> = { catalog, shipping, accounts, reviews, media, ratings, orders, payments, faults, legacy };

export interface ComplianceSupergraph {
  sdl: string;
  subgraphs: ServedSubgraph[];
  stop(): Promise<void>;
}

/** Serves every subgraph on a free port, composes them, and stops `legacy` so that it refuses connections. */
export async function startComplianceSupergraph(): Promise<ComplianceSupergraph> {
  const subgraphs = await Promise.all(Object.entries(COMPLIANCE_SUBGRAPHS).map(([name, schema]) => serveSubgraph(name, schema)));
  const composed = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('; '));
  const down = subgraphs.find((s) => s.name === 'legacy');
  await down?.close();
  const running = subgraphs.filter((s) => s !== down);
  return {
    sdl: composed.supergraphSdl,
    subgraphs,
    stop: async () => {
      await Promise.all(running.map((s) => s.close()));
    },
  };
}
