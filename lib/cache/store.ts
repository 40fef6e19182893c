import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';

/**
 * A shared cache of strings: Redis when configured (every instance sees the same entries and the
 * same invalidations), else the process's memory. A cache that cannot answer misses: callers fall
 * back to the source of truth, never fail.
 */
export interface CacheStore {
  getMany(keys: string[]): Promise<(string | undefined)[]>;
  setMany(entries: [key: string, value: string][], ttlSeconds: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
}

export class MemoryCacheStore implements CacheStore {
  private readonly entries: LRUCache<string, string>;

  constructor(maxEntries = 50_000) {
    this.entries = new LRUCache({ max: maxEntries });
  }

  async getMany(keys: string[]) {
    return keys.map((key) => this.entries.get(key));
  }

  async setMany(entries: [string, string][], ttlSeconds: number) {
    for (const [key, value] of entries) this.entries.set(key, value, { ttl: ttlSeconds * 1000 });
  }

  async delete(keys: string[]) {
    for (const key of keys) this.entries.delete(key);
  }
}

export class RedisCacheStore implements CacheStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async getMany(keys: string[]) {
    if (keys.length === 0) return [];
    const values = await this.redis.mget(keys.map((key) => this.keyOf(key))).catch(() => keys.map(() => null));
    return values.map((value) => value ?? undefined);
  }

  async setMany(entries: [string, string][], ttlSeconds: number) {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [key, value] of entries) pipeline.set(this.keyOf(key), value, 'EX', Math.max(1, Math.round(ttlSeconds)));
    await pipeline.exec().catch(() => undefined);
  }

  async delete(keys: string[]) {
    if (keys.length) await this.redis.del(...keys.map((key) => this.keyOf(key))).catch(() => undefined);
  }

  private keyOf(key: string) {
    return `${this.prefix}:${key}`;
  }
}
