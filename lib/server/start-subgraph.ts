import { join } from 'node:path';
import type { BaseContext } from '@apollo/server';
import type { DataSource } from 'typeorm';
import { dataDir } from '../config';
import { openDatabase } from '../db/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded';
import { Registry } from 'prom-client';
import { DeadLetters } from '../events/dead-letters';
import { consumerBacklogMetrics, databasePoolMetrics, outboxMetrics, processMetrics } from './metrics';
import { EVENT_MIGRATIONS } from '../events/migration';
import { OutboxRelay } from '../events/outbox';
import type { EventBus } from '../events/types';
import type { Logger } from '../logger';
import { traceConsumers } from '../events/tracing';
import { tracerFor } from '../telemetry/tracing';
import { InternalClient } from './internal-client';
import { subgraphRuntimeConfig } from './subgraph-config';
import type { Env, SubgraphModule } from './subgraph-module';
import { serveSubgraph, type RunningSubgraph } from './subgraph-server';

export interface StartSubgraphOptions {
  /** A PostgreSQL URL; without one the subgraph runs on an embedded PGlite. */
  databaseUrl?: string;
  /** Keep the embedded database in memory only (tests) instead of under DATA_DIR. */
  ephemeral?: boolean;
  port?: number;
  host?: string;
  routerSecret: string;
  logger: Logger;
  bus: EventBus;
  /** The GraphQL URL of another subgraph, asked at call time (peers may start after this one). */
  peerUrl: (subgraph: string) => string;
  env?: Env;
  onQuery?: (sql: string) => void;
  /** The router's origin, asked at use time; PUBLIC_URL (or the router's default address) without it. */
  publicUrl?: () => string;
}

export interface StartedSubgraph extends RunningSubgraph {
  db: DataSource;
  outbox: OutboxRelay;
}

/** Database → migrations → app → background work → HTTP server, and the reverse on stop. */
export async function startSubgraph<TContext extends BaseContext>(
  module: SubgraphModule<TContext>,
  options: StartSubgraphOptions,
): Promise<StartedSubgraph> {
  const env = options.env ?? process.env;
  const logger = options.logger.child({ subgraph: module.name });
  let embedded: EmbeddedPostgres | undefined;
  let url = options.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres(options.ephemeral ? undefined : join(dataDir(env), 'pglite', module.name));
    url = embedded.url;
    logger.info('embedded PostgreSQL (PGlite) started', { ephemeral: Boolean(options.ephemeral) });
  }
  const db = await openDatabase({
    url,
    entities: module.entities,
    // every subgraph may write and consume events, so each has the outbox, processed-event and failure tables
    migrations: [...EVENT_MIGRATIONS, ...module.migrations],
    // PGlite is one session: statements of two connections would interleave inside each other's
    // transactions, so the embedded database gets a single connection and requests queue for it.
    poolSize: embedded ? 1 : 10,
    onQuery: options.onQuery,
    tracer: tracerFor(module.name),
  });
  const outbox = new OutboxRelay(db, options.bus, logger);
  const runtime = subgraphRuntimeConfig(env);
  const internal = new InternalClient(module.name, options.peerUrl, options.routerSecret, runtime.peers, logger);
  const metrics = new Registry();
  metrics.setDefaultLabels({ service: module.name });
  processMetrics(metrics);
  databasePoolMetrics(metrics, db);
  outboxMetrics(metrics, db);
  outbox.register(metrics);
  consumerBacklogMetrics(metrics, options.bus, module.name);
  const deadLetters = new DeadLetters(db, runtime.events, logger);
  deadLetters.register(metrics);
  // consumers see a bus whose deliveries end as dead letters after EVENT_MAX_ATTEMPTS failures, each
  // handled in a span of the trace that recorded the event
  const bus = traceConsumers(deadLetters.protect(options.bus), module.name);
  const publicUrl = options.publicUrl ?? (() => runtime.publicUrl);
  const app = await module.create({ db, logger, env, bus, outbox, internal, metrics, publicUrl });
  outbox.start();
  const stopBackground = app.background ? await app.background() : async () => undefined;
  const running = await serveSubgraph(app, {
    port: options.port ?? 0,
    host: options.host,
    routerSecret: options.routerSecret,
    db,
    logger,
    metrics,
  });
  // a stack stops all it started, even a subgraph a test already stopped: the second stop is the first's
  let stopped: Promise<void> | undefined;
  return {
    ...running,
    db,
    outbox,
    stop() {
      return (stopped ??= (async () => {
        await running.stop();
        await stopBackground();
        await outbox.stop();
        internal.close();
        await db.destroy();
        await embedded?.stop();
      })());
    },
  };
}
