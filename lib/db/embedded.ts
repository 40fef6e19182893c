import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served over the Postgres wire protocol on a local
 * port so that `pg` and TypeORM work exactly as against a real server. With a data directory the
 * data survives restarts; without one it lives in memory. New clusters start from a blank one kept
 * in `snapshotDirectory`.
 */
export async function startEmbeddedPostgres(dataDirectory?: string, snapshotDirectory = tmpdir()): Promise<EmbeddedPostgres> {
  const db = await openCluster(new BlankCluster(snapshotDirectory), dataDirectory);
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

/** An existing cluster as it is; a new one unpacked from the blank snapshot. */
async function openCluster(blank: BlankCluster, dataDirectory?: string): Promise<PGlite> {
  if (dataDirectory && existsSync(join(dataDirectory, 'PG_VERSION'))) return PGlite.create(dataDirectory);
  if (dataDirectory) mkdirSync(dataDirectory, { recursive: true });
  try {
    return await PGlite.create(dataDirectory, { loadDataDir: await blank.get() });
  } catch {
    // a snapshot another process left may be damaged (a full disk): made again, from initdb, once
    blank.forget();
    if (dataDirectory) {
      rmSync(dataDirectory, { recursive: true, force: true });
      mkdirSync(dataDirectory, { recursive: true });
    }
    return PGlite.create(dataDirectory, { loadDataDir: await blank.get() });
  }
}

/** Snapshots read or made by this process, by directory: a stack opens six clusters at once. */
const made = new Map<string, Promise<Blob>>();

/**
 * initdb in WebAssembly takes seconds of the one thread, and a stack opens six clusters: each new
 * one is unpacked from a freshly initialised cluster instead (a tar, PGlite's own dump format, in
 * well under a second). Made once per process, and kept on disk by PGlite's version so that the
 * next process (the next test suite, the next `npm start`) skips initdb too.
 */
class BlankCluster {
  private readonly file: string;

  constructor(directory: string) {
    this.file = join(directory, `marketplace-pglite-${pgliteVersion()}-blank.tar`);
  }

  async get(): Promise<Blob> {
    let snapshot = made.get(this.file);
    if (!snapshot) made.set(this.file, (snapshot = this.readOrMake()));
    return snapshot;
  }

  /** Drops the snapshot, so that the next is made from initdb. */
  forget(): void {
    made.delete(this.file);
    rmSync(this.file, { force: true });
  }

  private async readOrMake(): Promise<Blob> {
    if (existsSync(this.file)) return new Blob([readFileSync(this.file)]);
    const db = await PGlite.create();
    const dump = await db.dumpDataDir('none');
    await db.close();
    const bytes = Buffer.from(await dump.arrayBuffer());
    // written aside and renamed: a process reading it never sees half a file
    const partial = `${this.file}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, bytes);
    renameSync(partial, this.file);
    return new Blob([bytes]);
  }
}

function pgliteVersion(): string {
  // the package exports no package.json; it sits above its entry point
  const manifest = join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
