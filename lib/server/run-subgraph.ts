import type { BaseContext } from '@apollo/server';
import { routerSecret } from '../auth/router-secret';
import { integer, optionalString } from '../config';
import { createLogger } from '../logger';
import { onShutdown } from './shutdown';
import type { SubgraphModule } from './subgraph-module';
import { startSubgraph } from './start-subgraph';

/** The process entry of a subgraph run on its own (docker-compose, one process per service). */
export async function runSubgraph<TContext extends BaseContext>(module: SubgraphModule<TContext>): Promise<void> {
  const logger = createLogger({ service: module.name });
  try {
    const running = await startSubgraph(module, {
      databaseUrl: optionalString('DATABASE_URL'),
      port: integer('PORT', module.defaultPort),
      host: optionalString('HOST') ?? '127.0.0.1',
      routerSecret: routerSecret(),
      logger,
    });
    onShutdown(logger, () => running.stop());
  } catch (error) {
    logger.error('failed to start', { error });
    process.exit(1);
  }
}
