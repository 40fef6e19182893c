import { integer, optionalString } from '../../lib/config';
import { reputationPriorFromEnv } from '../../lib/reputation-prior';
import type { Env } from '../../lib/server/subgraph-module';

/** Every setting the listings subgraph reads, with its default. */
export interface ListingsConfig {
  /** Where sellers nobody has reviewed yet rank: the reputation prior's mean (REPUTATION_PRIOR_MEAN). */
  priorScore: number;
  /** Search counts are exact up to this many matches and a lower bound above, when no counter answers. */
  exactCountLimit: number;
  /** How often the search counters' deltas are folded into their totals. */
  counterCompactionMs: number;
  /** A streaming replica that search reads from; the primary when unset. */
  searchDatabaseUrl?: string;
}

export function listingsConfig(env: Env): ListingsConfig {
  return {
    priorScore: reputationPriorFromEnv(env).mean,
    exactCountLimit: integer('SEARCH_EXACT_COUNT_LIMIT', 10_000, env),
    counterCompactionMs: integer('SEARCH_COUNTER_COMPACTION_MS', 2_000, env),
    searchDatabaseUrl: optionalString('SEARCH_DATABASE_URL', env),
  };
}
