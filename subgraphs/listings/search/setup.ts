import { Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../../../lib/server/metrics';
import type { DataSource } from 'typeorm';
import { MemoryCacheStore, RedisCacheStore } from '../../../lib/cache/store';
import { openReplica } from '../../../lib/db/replica';
import { closeRedis, stateRedis } from '../../../lib/redis';
import type { ListingsConfig } from '../config';
import { SearchCache } from './cache';
import { SearchProjection } from './projection';
import { Replica } from './replica';
import { ListingSearch } from './search';

export interface SearchParts {
  search: ListingSearch;
  projection: SearchProjection;
  close(): Promise<void>;
}

/**
 * Search as the configuration asks for it: the cache in Redis or in the process (or none), reads on
 * the primary or on a streaming replica. Opens the connections these need.
 */
export async function setUpSearch(
  db: DataSource,
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Function[],
  config: ListingsConfig,
  metrics: Registry,
): Promise<SearchParts> {
  const redis = config.cache && config.redisUrl ? stateRedis(config.redisUrl) : undefined;
  const store = redis ? new RedisCacheStore(redis, `${config.redisPrefix}:listings`) : new MemoryCacheStore();
  const cache = config.cache ? new SearchCache(store, config.cacheTtlSeconds, metrics) : undefined;
  const replica = config.searchDatabaseUrl ? new Replica(db, await openReplica(config.searchDatabaseUrl, entities)) : undefined;
  const searched = new Histogram({
    name: 'search_duration_seconds',
    help: 'Time a search took to find its page, with or without text',
    labelNames: ['text'],
    buckets: LATENCY_BUCKETS,
    registers: [metrics],
  });
  const onSearched = (seconds: number, withText: boolean) => searched.observe({ text: String(withText) }, seconds);
  return {
    search: new ListingSearch(db, { priorScore: config.priorScore, exactCountLimit: config.exactCountLimit, fewMatches: config.fewMatches, onSearched }, cache, replica),
    projection: new SearchProjection(config.priorScore),
    async close() {
      if (redis) await closeRedis(redis);
      await replica?.reader.destroy();
    },
  };
}
