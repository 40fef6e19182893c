import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded';

/**
 * New embedded clusters are unpacked from a blank one kept on disk: each is a database of its own
 * (in memory or in a data directory), and a damaged snapshot is made again rather than failing.
 */
let directory: string;
const opened: EmbeddedPostgres[] = [];
beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'snapshot-'));
});
afterAll(async () => {
  await Promise.all(opened.map((db) => db.stop()));
  rmSync(directory, { recursive: true, force: true });
});

async function start(dataDirectory?: string): Promise<EmbeddedPostgres> {
  const db = await startEmbeddedPostgres(dataDirectory, directory);
  opened.push(db);
  return db;
}

async function query(db: EmbeddedPostgres, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

const tableCount = (db: EmbeddedPostgres) => query(db, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_here'`);

test('clusters unpacked from the snapshot are apart, in memory and in a data directory', async () => {
  const inMemory = await start();
  expect(readdirSync(directory)).toEqual([expect.stringMatching(/^marketplace-pglite-[\d.]+-blank\.tar$/)]);
  const onDisk = await start(join(directory, 'data'));
  await query(inMemory, 'CREATE TABLE only_here (id int)');
  expect(await tableCount(inMemory)).toEqual([{ n: 1 }]);
  expect(await tableCount(onDisk)).toEqual([{ n: 0 }]);
});

test('a snapshot cut short (a full disk in another process) is made again, not trusted', async () => {
  const [name] = readdirSync(directory).filter((file) => file.endsWith('.tar'));
  const whole = readFileSync(join(directory, name));
  // another directory: this process has not read it yet, as a new process would not have
  const elsewhere = mkdtempSync(join(tmpdir(), 'snapshot-cut-'));
  try {
    writeFileSync(join(elsewhere, name), whole.subarray(0, Math.floor(whole.length / 3)));
    const db = await startEmbeddedPostgres(undefined, elsewhere);
    opened.push(db);
    expect(await query(db, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(readFileSync(join(elsewhere, name)).length).toBe(whole.length);
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});
