import { optionalString, integer } from '../lib/config';
import { createLogger } from '../lib/logger';
import { onShutdown } from '../lib/server/shutdown';
import { startTracing } from '../lib/telemetry/tracing';
import { seedDemo } from './seed';
import { startStack } from './stack';

/**
 * `npm start`: the whole marketplace in one process. Without DATABASE_URL every subgraph runs on its
 * own embedded PostgreSQL (PGlite) kept under DATA_DIR; with it, on one database per subgraph of that
 * server. Demo data is seeded once, into empty databases.
 */
async function main() {
  const logger = createLogger();
  const tracing = startTracing();
  const databaseUrl = optionalString('DATABASE_URL');
  const stack = await startStack({
    databaseUrl,
    redisUrl: optionalString('REDIS_URL'),
    routerPort: integer('PORT', 4000),
    routerSecret: optionalString('ROUTER_SECRET'),
    logger,
  });
  onShutdown(logger, async () => {
    await stack.stop();
    await tracing?.shutdown();
  });
  const seeded = await seedDemo(stack, logger);
  const lines = [
    '',
    `  Marketplace supergraph is up${databaseUrl ? '' : ' (embedded PostgreSQL, data in ' + (optionalString('DATA_DIR') ?? '.data') + ')'}`,
    `  GraphQL endpoint: ${stack.routerUrl}`,
    `  Health:           ${new URL('/health', stack.routerUrl)}  ${new URL('/ready', stack.routerUrl)}`,
    ...(seeded ? [`  Demo data:        ${seeded}`] : []),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  createLogger().error('failed to start', { error });
  process.exit(1);
});
