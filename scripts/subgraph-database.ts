import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { dataDir } from '../lib/config';
import { openDatabase } from '../lib/db/data-source';
import { startEmbeddedPostgres } from '../lib/db/embedded';
import { EventTables1732000000100 } from '../lib/events/migration';
import type { Env, SubgraphModule } from '../lib/server/subgraph-module';

/**
 * One subgraph's database, for an operator's command: DATABASE_URL when set (the subgraph's own, as in
 * docker-compose.yml), else the embedded database under DATA_DIR, which only one process may hold
 * (stop `npm start` first). Migrated, as the subgraph would.
 */
export async function openSubgraphDatabase(module: SubgraphModule, env: Env = process.env): Promise<{ db: DataSource; close(): Promise<void> }> {
  const embedded = env.DATABASE_URL ? undefined : await startEmbeddedPostgres(join(dataDir(env), 'pglite', module.name));
  const url = env.DATABASE_URL ?? embedded!.url;
  const db = await openDatabase({ url, entities: module.entities, migrations: [EventTables1732000000100, ...module.migrations], poolSize: 2 });
  return {
    db,
    async close() {
      await db.destroy();
      await embedded?.stop();
    },
  };
}
