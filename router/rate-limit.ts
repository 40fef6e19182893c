import type Redis from 'ioredis';

/** A token bucket: `perMinute` tokens refill evenly over a minute, and a full bucket holds a minute's worth. */
export interface Quota {
  perMinute: number;
}

export interface Decision {
  allowed: boolean;
  /** When the request may be tried again, when refused. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Takes `cost` tokens from the bucket `key`, if it holds them. */
  take(key: string, quota: Quota, cost?: number): Promise<Decision>;
}

/** One process's buckets: the embedded default. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  async take(key: string, { perMinute }: Quota, cost = 1): Promise<Decision> {
    const now = Date.now();
    const rate = perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: perMinute, at: now };
    const tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * rate);
    const allowed = tokens >= cost;
    // a bucket refilled to the brim is the same as none: forget it, so that the map stays small
    if (allowed && tokens - cost >= perMinute) this.buckets.delete(key);
    else this.buckets.set(key, { tokens: allowed ? tokens - cost : tokens, at: now });
    if (this.buckets.size > 100_000) this.sweep(now);
    return { allowed, retryAfterSeconds: allowed ? 0 : Math.ceil((cost - tokens) / rate / 1000) };
  }

  private sweep(now: number) {
    for (const [key, bucket] of this.buckets) if (now - bucket.at > 60_000) this.buckets.delete(key);
  }
}

/**
 * Buckets in Redis, shared by every router: one script reads, refills and takes atomically, on
 * Redis's clock, so that routers with skewed clocks agree.
 */
const TAKE = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
local wait = 0
if allowed == 0 then wait = math.ceil((cost - tokens) / rate) end
return { allowed, wait }
`;

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'marketplace',
  ) {}

  async take(key: string, { perMinute }: Quota, cost = 1): Promise<Decision> {
    const [allowed, waitMs] = (await this.redis.eval(TAKE, 1, `${this.prefix}:rate:${key}`, perMinute, perMinute / 60_000, cost)) as [number, number];
    return { allowed: allowed === 1, retryAfterSeconds: Math.ceil(waitMs / 1000) };
  }
}
