import type { BaseContext } from '@apollo/server';
import { routerSecret } from '../auth/router-secret';
import { integer, optionalString } from '../config';
import { createEventBus } from '../events/bus';
import { createLogger } from '../logger';
import { peerUrlFromEnv } from './peers';
import { startTracing } from '../telemetry/tracing';
import { onShutdown } from './shutdown';
import type { SubgraphModule } from './subgraph-module';
import { startSubgraph } from './start-subgraph';

/** The process entry of a subgraph run on its own (docker-compose, one process per service). */
export async function runSubgraph<TContext extends BaseContext>(module: SubgraphModule<TContext>): Promise<void> {
  const logger = createLogger({ service: module.name });
  try {
    const tracing = startTracing();
    const redisUrl = optionalString('REDIS_URL');
    if (!redisUrl) logger.warn('REDIS_URL is not set: events stay inside this process and other subgraphs will not see them');
    const bus = createEventBus(redisUrl, logger);
    const running = await startSubgraph(module, {
      databaseUrl: optionalString('DATABASE_URL'),
      port: integer('PORT', module.defaultPort),
      host: optionalString('HOST') ?? '127.0.0.1',
      routerSecret: routerSecret(),
      logger,
      bus,
      peerUrl: peerUrlFromEnv(process.env),
    });
    onShutdown(logger, async () => {
      await running.stop();
      await bus.close();
      await tracing?.shutdown();
    });
  } catch (error) {
    logger.error('failed to start', { error });
    process.exit(1);
  }
}
