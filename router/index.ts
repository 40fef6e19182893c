import { createLogger } from '../lib/logger';
import { onShutdown } from '../lib/server/shutdown';
import { routerConfigFromEnv } from './config';
import { startRouter } from './server';

const logger = createLogger({ service: 'router' });

startRouter(routerConfigFromEnv(), logger)
  .then((router) => onShutdown(logger, () => router.stop()))
  .catch((error: unknown) => {
    logger.error('failed to start', { error });
    process.exit(1);
  });
