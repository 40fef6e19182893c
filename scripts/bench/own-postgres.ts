import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startCluster } from '../../lib/testing/postgres-cluster';
import { ROOT } from '../../schema/subgraphs';

export interface OwnPostgres {
  url: string;
  /** The `-c name=value` settings it runs with: docker-compose.yml's. */
  settings: string[];
  /** Huge pages the kernel held for it to use (huge_pages=try), in MB; 0 when it has none. */
  hugePagesMb: number;
  stop(): Promise<void>;
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
 * loads once), started with docker-compose.yml's settings.
 */
export async function ownPostgres(): Promise<OwnPostgres> {
  const settings = composeSettings();
  const hugePagesMb = hugePages();
  const cluster = await startCluster({ dataDir: join(ROOT, '.bench', 'postgres'), port: Number(process.env.BENCH_POSTGRES_PORT ?? 5499), settings });
  return { url: cluster.url(), settings, hugePagesMb, stop: () => cluster.stop() };
}

/** Free huge pages, from /proc/meminfo (the kernel's vm.nr_hugepages; none configured by default). */
function hugePages(): number {
  try {
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0);
    return (field('HugePages_Free') * field('Hugepagesize')) / 1024;
  } catch {
    return 0;
  }
}
