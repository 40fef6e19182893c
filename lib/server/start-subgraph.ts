import { join } from 'node:path';
import type { BaseContext } from '@apollo/server';
import type { DataSource } from 'typeorm';
import { dataDir } from '../config';
import { openDatabase } from '../db/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded';
import type { Logger } from '../logger';
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
  env?: Env;
  onQuery?: (sql: string) => void;
}

export interface StartedSubgraph extends RunningSubgraph {
  db: DataSource;
}

/** Database → migrations → app → HTTP server, and the reverse on stop. */
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
    migrations: module.migrations,
    poolSize: embedded ? 4 : 10,
    onQuery: options.onQuery,
  });
  const app = await module.create({ db, logger, env });
  const running = await serveSubgraph(app, {
    port: options.port ?? 0,
    host: options.host,
    routerSecret: options.routerSecret,
    db,
    logger,
  });
  return {
    ...running,
    db,
    async stop() {
      await running.stop();
      await db.destroy();
      await embedded?.stop();
    },
  };
}
