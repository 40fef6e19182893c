import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../schema/subgraphs';

export interface OwnPostgres {
  url: string;
  /** The `-c name=value` settings it runs with: docker-compose.yml's. */
  settings: string[];
  stop(): Promise<void>;
}

const PORT = Number(process.env.BENCH_POSTGRES_PORT ?? 5499);
const DATA = join(ROOT, '.bench', 'postgres');

/** The server binaries: PG_BIN, else Debian's newest under /usr/lib/postgresql. */
function binaries(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error('BENCH_POSTGRES=own needs PostgreSQL server binaries: set PG_BIN');
  return join('/usr/lib/postgresql', versions[0], 'bin');
}

/** The postgres service's `-c` settings in docker-compose.yml, so the benchmark measures what production runs. */
function composeSettings(): string[] {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: { postgres: { command?: string[] } };
  };
  const command = compose.services.postgres.command ?? [];
  return command.flatMap((part, i) => (command[i - 1] === '-c' ? [part] : []));
}

/**
 * A PostgreSQL server of the benchmark's own, in .bench/postgres (kept, so that a large catalogue
 * loads once), started with docker-compose.yml's settings. PostgreSQL refuses to run as root: as
 * root it runs as the postgres user.
 */
export async function ownPostgres(): Promise<OwnPostgres> {
  const bin = binaries();
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => (asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args]) as [string, string[]];
  if (!existsSync(join(DATA, 'PG_VERSION'))) {
    mkdirSync(DATA, { recursive: true });
    if (asRoot) execFileSync('chown', ['-R', 'postgres', join(ROOT, '.bench')]);
    execFileSync(...run('initdb', ['-D', DATA, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']), { stdio: 'ignore' });
  }
  const settings = composeSettings();
  const [command, args] = run('postgres', ['-D', DATA, '-p', String(PORT), '-k', '/tmp', '-c', 'listen_addresses=127.0.0.1', ...settings.flatMap((s) => ['-c', s])]);
  const server = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const url = `postgres://postgres@127.0.0.1:${PORT}/postgres`;
  for (let i = 0; ; i++) {
    const ready = (() => {
      try {
        execFileSync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(PORT)]);
        return true;
      } catch {
        return false;
      }
    })();
    if (ready) break;
    if (server.exitCode !== null || i > 100) throw new Error(`the benchmark's PostgreSQL did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    settings,
    stop: () =>
      new Promise((resolve) => {
        if (server.exitCode !== null) return resolve();
        server.once('exit', () => resolve());
        server.kill('SIGINT'); // fast shutdown
      }),
  };
}
