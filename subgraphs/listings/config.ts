import { boolean, integer, optionalString } from '../../lib/config';
import { reputationPriorFromEnv } from '../../lib/reputation-prior';
import type { Env } from '../../lib/server/subgraph-module';
import { FEW_MATCHES } from './search/page';
import { COMMON_WORDS, type CommonWordRule } from './search/pair-counts';

/** Every setting the listings subgraph reads, with its default. */
export interface ListingsConfig {
  /** Where sellers nobody has reviewed yet rank: the reputation prior's mean (REPUTATION_PRIOR_MEAN). */
  priorScore: number;
  /** Search counts are exact up to this many matches and a lower bound above, when no counter answers. */
  exactCountLimit: number;
  /** Below this many matches of a query, its relevance page is ordered in one pass; above, tiers are walked. */
  fewMatches: number;
  /** How often the search counters' deltas are folded into their totals. */
  counterCompactionMs: number;
  /** Which words are common enough for their pairs to be counted (search/pair-counts.ts). */
  commonWords: CommonWordRule;
  /** How often words that have grown common join the set. */
  commonWordAdmissionMs: number;
  /** A streaming replica that search reads from; the primary when unset. */
  searchDatabaseUrl?: string;
  /** Whether hot searches and listings are cached. */
  cache: boolean;
  /** How long a cached search or listing lives at most; changes invalidate it sooner. */
  cacheTtlSeconds: number;
  /** Where the cache lives: Redis when set (shared by every instance), else the process. */
  redisUrl?: string;
  /** Names this deployment's keys in a Redis shared with others. */
  redisPrefix: string;
}

export function listingsConfig(env: Env): ListingsConfig {
  return {
    priorScore: reputationPriorFromEnv(env).mean,
    exactCountLimit: integer('SEARCH_EXACT_COUNT_LIMIT', 10_000, env),
    fewMatches: integer('SEARCH_FEW_MATCHES', FEW_MATCHES, env),
    counterCompactionMs: integer('SEARCH_COUNTER_COMPACTION_MS', 2_000, env),
    commonWords: { ...COMMON_WORDS, atLeast: integer('SEARCH_COMMON_WORD_MIN_DOCUMENTS', COMMON_WORDS.atLeast, env) },
    commonWordAdmissionMs: integer('SEARCH_COMMON_WORD_ADMISSION_MS', 60_000, env),
    searchDatabaseUrl: optionalString('SEARCH_DATABASE_URL', env),
    cache: boolean('SEARCH_CACHE', true, env),
    cacheTtlSeconds: integer('SEARCH_CACHE_TTL_SECONDS', 60, env),
    redisUrl: optionalString('REDIS_URL', env),
    redisPrefix: optionalString('REDIS_PREFIX', env) ?? 'marketplace',
  };
}
