import { parseArgs } from 'node:util';
import { createDataSource } from '../lib/db/data-source';
import { accounts } from '../subgraphs/accounts/subgraph';
import { verifyChain } from '../subgraphs/accounts/audit-log';
import { openSubgraphDatabase } from './subgraph-database';
import { runCommand } from './run-command';

/**
 * `npm run audit -- verify`: walks the audit log's hash chain from its first entry and reports the
 * first broken link (the entry's id and what is wrong with it); exits 1 when the chain is broken.
 * Run it with the accounts subgraph's environment (DATABASE_URL of its database), or name the
 * database with --database; on the embedded default, stop `npm start` first.
 */
const USAGE = `The audit log (npm run audit -- <command>)

  verify                 check every entry's hash and its link to the entry before it

Options:
  --database <url>       the accounts database (default: DATABASE_URL, else the embedded one under DATA_DIR)`;

async function open(database: string | undefined) {
  if (!database) return openSubgraphDatabase(accounts);
  const db = createDataSource({ url: database, entities: [], migrations: [], poolSize: 1 });
  await db.initialize();
  return { db, close: () => db.destroy() };
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { database: { type: 'string' } } });
  if (positionals.length !== 1 || positionals[0] !== 'verify') {
    console.error(USAGE);
    return 2;
  }
  const { db, close } = await open(values.database);
  try {
    const report = await verifyChain(db);
    if (report.broken) {
      console.error(`audit log BROKEN at entry ${report.broken.id}: ${report.broken.problem} (${report.checked} entries before it hold)`);
      return 1;
    }
    const head = report.head ? `; the last is entry ${report.head.id}, hash ${report.head.hash} (keep it: a later run must still reach it)` : '';
    console.log(`audit log intact: ${report.checked} entries, every hash and link holds${head}`);
    return 0;
  } finally {
    await close();
  }
}

runCommand(main);
