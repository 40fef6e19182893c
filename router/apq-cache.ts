import type { PersistedQueryOptions } from '@apollo/server';
import type Redis from 'ioredis';

type KeyValueCache = NonNullable<PersistedQueryOptions['cache']>;

/**
 * The automatic persisted queries' cache in Redis, shared by every router: a query registered through
 * one router is found by hash through any other. Bodies expire a day after they were registered.
 */
export class RedisApqCache implements KeyValueCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'marketplace',
  ) {}

  async get(key: string): Promise<string | undefined> {
    // a cache that cannot answer misses: the client sends the full query again
    return (await this.redis.get(this.keyOf(key)).catch(() => null)) ?? undefined;
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const ttl = options?.ttl ?? DAY_SECONDS;
    await this.redis.set(this.keyOf(key), value, 'EX', Math.max(1, Math.round(ttl))).catch(() => undefined);
  }

  async delete(key: string): Promise<boolean | void> {
    await this.redis.del(this.keyOf(key)).catch(() => undefined);
  }

  /** Apollo's keys already say what they are (`apq:<hash>`). */
  private keyOf(key: string) {
    return `${this.prefix}:${key}`;
  }
}

const DAY_SECONDS = 24 * 60 * 60;
