import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** PostgreSQL's server binaries: PG_BIN, else Debian's newest under /usr/lib/postgresql; undefined when absent. */
export function postgresBinaries(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((version) => join(root, version, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
  return bin;
}

export interface Cluster {
  port: number;
  url(database?: string): string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  dataDir: string;
  port: number;
  /** `name=value` settings given to the server with -c. */
  settings?: string[];
  /** A streaming replica of the cluster on this port (pg_basebackup -R) instead of a fresh initdb. */
  replicaOf?: number;
}

/**
 * A PostgreSQL server of its own, in a data directory of the caller's: made by initdb (or, for a
 * replica, by pg_basebackup from its primary) unless the directory holds one already. PostgreSQL
 * refuses to run as root: as root, it runs as the postgres user.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const bin = postgresBinaries();
  if (!bin) throw new Error('PostgreSQL server binaries not found: set PG_BIN');
  const asRoot = process.getuid?.() === 0;
  const command = (name: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, name), ...args]] : [join(bin, name), args];
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    // the parents stay traversable: the server may run as another user than the one creating them
    mkdirSync(dirname(options.dataDir), { recursive: true });
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    if (asRoot) execFileSync('chown', ['postgres', options.dataDir]);
    if (options.replicaOf) {
      execFileSync(
        ...command('pg_basebackup', ['-h', '127.0.0.1', '-p', String(options.replicaOf), '-U', 'postgres', '-D', options.dataDir, '-R', '-X', 'stream']),
        { stdio: 'ignore' },
      );
    } else {
      execFileSync(...command('initdb', ['-D', options.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']), { stdio: 'ignore' });
    }
  }
  const settings = ['listen_addresses=127.0.0.1', 'unix_socket_directories=/tmp', ...(options.settings ?? [])];
  const server: ChildProcess = spawn(
    ...command('postgres', ['-D', options.dataDir, '-p', String(options.port), ...settings.flatMap((s) => ['-c', s])]),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  server.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  for (let i = 0; ; i++) {
    let ready = false;
    try {
      execFileSync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(options.port)]);
      ready = true;
    } catch {
      // not yet
    }
    if (ready) break;
    if (server.exitCode !== null || i > 150) throw new Error(`PostgreSQL on port ${options.port} did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port: options.port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${options.port}/${database}`,
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      // pg_ctl rather than a signal: runuser does not pass every signal on to the server
      execFileSync(...command('pg_ctl', ['-D', options.dataDir, 'stop', '-m', 'fast', '-w']), { stdio: 'ignore' });
      await exited;
    },
  };
}
