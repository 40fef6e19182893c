import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { dataDir } from '../lib/config';
import { createDataSource, siblingDatabaseUrl } from '../lib/db/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../lib/db/embedded';
import { isUuid } from '../lib/ids';
import { listDeadLetters, requestReplay, type DeadLetter } from '../lib/events/dead-letters';
import { SUBGRAPHS } from '../schema/subgraphs';

const NAMES: string[] = SUBGRAPHS.map((subgraph) => subgraph.name);

const USAGE = `Events that consumers could not handle (npm run events -- <command>)

  dead-letters                     list the dead letters of every subgraph
  replay <event id>… | --all       ask the consumers to run them again (within EVENT_REPLAY_POLL_MS)

Options:
  --subgraph <name>                one subgraph only
  --database <url>                 that subgraph's own database (one process per service); without it,
                                   DATABASE_URL as npm start reads it (one database per subgraph beside
                                   it), else the embedded databases under DATA_DIR (stop npm start first:
                                   an embedded database has one user at a time)`;

interface Target {
  subgraph: string;
  open(): Promise<{ db: DataSource; close(): Promise<void> }>;
}

function targets(subgraph: string | undefined, database: string | undefined): Target[] {
  const names = subgraph ? [subgraph] : NAMES;
  const byUrl = (url: string) => async () => {
    const db = createDataSource({ url, entities: [], migrations: [], poolSize: 1 });
    await db.initialize();
    return { db, close: () => db.destroy() };
  };
  if (database) return [{ subgraph: subgraph ?? 'database', open: byUrl(database) }];
  const server = process.env.DATABASE_URL;
  if (server) return names.map((name) => ({ subgraph: name, open: byUrl(siblingDatabaseUrl(server, name)) }));
  return names.map((name) => ({
    subgraph: name,
    async open() {
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres(join(dataDir(), 'pglite', name));
      const opened = await byUrl(embedded.url)();
      return { db: opened.db, close: async () => (await opened.close(), await embedded.stop()) };
    },
  }));
}

function print(letters: (DeadLetter & { subgraph: string })[]): void {
  if (letters.length === 0) {
    console.log('no dead letters');
    return;
  }
  for (const letter of letters) {
    const replay = letter.replayRequested ? '  (replay requested)' : '';
    console.log(`${letter.eventId}  ${letter.subgraph}/${letter.consumer}  ${letter.type}  ${letter.attempts} attempts  dead since ${letter.deadAt}${replay}`);
    console.log(`    last error: ${letter.lastError}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { subgraph: { type: 'string' }, database: { type: 'string' }, all: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  const [command, ...ids] = positionals;
  if (!command || values.help || !['dead-letters', 'replay'].includes(command) || (command === 'replay' && !values.all && ids.length === 0)) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  const notIds = ids.filter((id) => !isUuid(id));
  if (notIds.length) {
    console.error(`not event ids: ${notIds.join(', ')}`);
    return 1;
  }
  if (values.subgraph && !NAMES.includes(values.subgraph)) {
    console.error(`no subgraph ${values.subgraph}: one of ${NAMES.join(', ')}`);
    return 1;
  }
  const found: (DeadLetter & { subgraph: string })[] = [];
  let replaying = 0;
  for (const target of targets(values.subgraph, values.database)) {
    const { db, close } = await target.open();
    try {
      if (command === 'dead-letters') found.push(...(await listDeadLetters(db)).map((letter) => ({ ...letter, subgraph: target.subgraph })));
      else replaying += await requestReplay(db, values.all ? 'all' : ids);
    } finally {
      await close();
    }
  }
  if (command === 'dead-letters') print(found);
  else console.log(`${replaying} dead letter${replaying === 1 ? '' : 's'} to be replayed by their consumers`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
