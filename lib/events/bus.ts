import type { Logger } from '../logger';
import { InProcessBus } from './in-process-bus';
import { RedisStreamsBus } from './redis-bus';
import type { EventBus } from './types';

/** Redis Streams when REDIS_URL is set (several processes); otherwise the in-process bus. */
export function createEventBus(redisUrl: string | undefined, logger: Logger, prefix?: string): EventBus {
  return redisUrl ? new RedisStreamsBus(redisUrl, logger, { prefix }) : new InProcessBus(logger);
}
