import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served over the Postgres wire protocol on a local
 * port so that `pg` and TypeORM work exactly as against a real server. With a data directory the
 * data survives restarts; without one it lives in memory.
 */
export async function startEmbeddedPostgres(dataDirectory?: string): Promise<EmbeddedPostgres> {
  if (dataDirectory) mkdirSync(dataDirectory, { recursive: true });
  const db = await PGlite.create(dataDirectory);
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 16 });
  await server.start();
  // getServerConn() answers "host:port"; the database name is ignored by PGlite.
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
