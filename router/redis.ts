import Redis from 'ioredis';

/** The router's state in Redis (APQ cache, rate buckets, partners) travels over one connection. */
export function routerRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 2_000 });
}

/** Sends what is queued, or drops the connection when Redis is away. */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
