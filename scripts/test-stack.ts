import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { dropDatabase, siblingDatabaseUrl } from '../lib/db/data-source';
import { createLogger } from '../lib/logger';
import { freshDatabaseUrl } from '../lib/testing/lone-subgraph';
import { GraphQLClient } from '../lib/client/graphql-client';
import { SUBGRAPHS, type SubgraphName } from '../schema/subgraphs';
import { startStack, type Stack, type StackOptions } from './stack';

/**
 * Where a suite that must hold on both runs: on PostgreSQL (and Redis) when the environment has
 * them, and on the embedded default always. For describe.each, with startTestStack({ embedded }).
 */
export const STACK_MODES: readonly ('PostgreSQL' | 'embedded')[] = process.env.DATABASE_URL ? ['PostgreSQL', 'embedded'] : ['embedded'];

export interface TestStack extends Stack {
  client: GraphQLClient;
  /** Where this suite's databases live (`<url>_<subgraph>`), when on PostgreSQL. */
  databaseUrl?: string;
  /** This suite's prefix of Redis keys, when on Redis. */
  eventsPrefix: string;
}

/**
 * A whole stack for one test suite: with DATABASE_URL, fresh databases on that PostgreSQL server
 * (dropped on stop), else PGlite (in memory unless `ephemeral: false`); with REDIS_URL, events through a Redis stream of the
 * suite's own, else the in-process bus. `embedded` asks for PGlite and the in-process bus even so.
 */
export async function startTestStack({ embedded, ...options }: Partial<StackOptions> & { embedded?: boolean } = {}): Promise<TestStack> {
  // embedded: what a fresh machine runs (PGlite, the in-process bus) whatever the environment offers
  const databaseUrl = embedded ? undefined : freshDatabaseUrl();
  const redisUrl = embedded ? undefined : process.env.REDIS_URL;
  const eventsPrefix = `test-${randomBytes(6).toString('hex')}`;
  const stack = await startStack({ logger: createLogger(), redisUrl, eventsPrefix, ...options, databaseUrl, ephemeral: options.ephemeral ?? true });
  return {
    ...stack,
    client: new GraphQLClient(stack.routerUrl),
    databaseUrl,
    eventsPrefix,
    async stop() {
      await stack.stop();
      if (redisUrl) {
        // everything the suite put there: events, persisted queries, partners, rate buckets
        const redis = new Redis(redisUrl);
        const keys = await redis.keys(`${eventsPrefix}:*`);
        if (keys.length) await redis.del(...keys);
        await redis.quit();
      }
      if (databaseUrl) {
        await Promise.all(SUBGRAPHS.map(({ name }) => dropDatabase(siblingDatabaseUrl(databaseUrl!, name as SubgraphName))));
      }
    },
  };
}
