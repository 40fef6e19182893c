import { createLogger } from '../lib/logger';
import { onShutdown } from '../lib/server/shutdown';
import { startTracing } from '../lib/telemetry/tracing';
import { routerConfigFromEnv } from './config';
import { startRouter } from './server';

const logger = createLogger({ service: 'router' });

async function main() {
  const tracing = startTracing();
  const router = await startRouter(routerConfigFromEnv(), logger);
  onShutdown(logger, async () => {
    await router.stop();
    await tracing?.shutdown();
  });
}

main().catch((error: unknown) => {
  logger.error('failed to start', { error });
  process.exit(1);
});
