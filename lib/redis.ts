import Redis from 'ioredis';

/**
 * A connection for state kept in Redis (the router's APQ cache, rate buckets and partners; listings'
 * search cache): a command fails within two seconds rather than queueing while Redis is away, so
 * callers fall back instead of waiting.
 */
export function stateRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 2_000 });
}

/** Sends what is queued, or drops the connection when Redis is away. */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
