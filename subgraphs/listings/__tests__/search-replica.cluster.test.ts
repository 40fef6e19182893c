import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { signViewer, type Viewer } from '../../../lib/auth/viewer';
import { GraphQLClient } from '../../../lib/client/graphql-client';
import { InProcessBus } from '../../../lib/events/in-process-bus';
import { createLogger } from '../../../lib/logger';
import { startSubgraph, type StartedSubgraph } from '../../../lib/server/start-subgraph';
import { startCluster, type Cluster } from '../../../lib/testing/postgres-cluster';
import { listings } from '../subgraph';

/**
 * Search served from a streaming replica: a primary and a replica of it (pg_basebackup, streaming
 * replication), each a PostgreSQL server of the test's own on this machine; listings writes to the
 * primary and searches on the replica (SEARCH_DATABASE_URL). Runs where PostgreSQL's server binaries
 * are installed (CI has them).
 */
const PRIMARY_PORT = 5531;
const REPLICA_PORT = 5532;
let dir: string;
let primary: Cluster;
let replica: Cluster;
let subgraph: StartedSubgraph;
let client: GraphQLClient;
const secret = randomBytes(32).toString('base64url');
const bus = new InProcessBus(createLogger());

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'search-replica-'));
  chmodSync(dir, 0o755); // the servers run as the postgres user when the test runs as root
  primary = await startCluster({ dataDir: join(dir, 'primary'), port: PRIMARY_PORT, settings: ['wal_level=replica', 'max_wal_senders=4'] });
  replica = await startCluster({ dataDir: join(dir, 'replica'), port: REPLICA_PORT, replicaOf: PRIMARY_PORT, settings: ['hot_standby=on'] });
  subgraph = await startSubgraph(listings, {
    databaseUrl: primary.url('listings'),
    routerSecret: secret,
    logger: createLogger(),
    bus,
    peerUrl: () => '',
    env: { ...process.env, REDIS_URL: undefined, SEARCH_DATABASE_URL: replica.url('listings') },
  });
  client = new GraphQLClient(subgraph.url);
}, 180_000);

afterAll(async () => {
  await subgraph?.stop();
  await bus.close();
  await replica?.stop();
  await primary?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function onReplica<T>(sql: string): Promise<T[]> {
  const connection = new Client({ connectionString: replica.url('listings') });
  await connection.connect();
  try {
    return (await connection.query(sql)).rows as T[];
  } finally {
    await connection.end();
  }
}

const seller: Viewer = { userId: randomUUID(), roles: ['seller'], scopes: ['seller'], seller: { id: randomUUID(), currency: 'USD' } };
const call = <T>(viewer: Viewer | null, query: string, variables: Record<string, unknown> = {}) =>
  client.query<T>(query, variables, (body) => signViewer(viewer, secret, body));
const count = async (word: string) =>
  (await call<{ listings: { totalCount: number } }>(null, `query ($q: String) { listings(query: $q) { totalCount } }`, { q: word })).data!.listings.totalCount;

test('searches read the replica: a listing shows once the replica replayed it, and the staleness is its lag', async () => {
  expect((await onReplica<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby'))[0].standby).toBe(true);
  const word = `replicant${Date.now().toString(36)}`;
  // replay held back: the primary has the listing, the replica does not, and search does not show it
  await onReplica('SELECT pg_wal_replay_pause()');
  const created = await call<{ createListing: { id: string } }>(
    seller,
    `mutation ($input: CreateListingInput!) { createListing(input: $input) { id } }`,
    { input: { title: `Lamp ${word}`, description: 'Bright', price: { amount: 1500, currency: 'USD' }, category: 'home-garden', stock: 2 } },
  );
  const id = created.data!.createListing.id;
  const published = await call<{ publishListing: { status: string } }>(seller, `mutation ($id: ID!) { publishListing(id: $id) { status } }`, { id });
  expect(published.data!.publishListing.status).toBe('ACTIVE');
  const [{ documents }] = await subgraph.db.query(`SELECT count(*)::int AS documents FROM search.documents WHERE listing_id = $1`, [id]);
  expect(documents).toBe(1);
  expect(await count(word)).toBe(0);
  await new Promise((r) => setTimeout(r, 300));
  expect(await count(word)).toBe(0);

  // replay resumes: search shows it as soon as the replica has it
  const resumed = Date.now();
  await onReplica('SELECT pg_wal_replay_resume()');
  while ((await count(word)) !== 1) {
    if (Date.now() - resumed > 5_000) throw new Error('the replica did not catch up within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  const staleness = Date.now() - resumed;
  expect(staleness).toBeLessThan(1_000);
  console.log(`search on the replica showed the listing ${staleness} ms after replay resumed`);

  // archived: gone from search once the replica replays it (the cache forgets it then, not before)
  await call(seller, `mutation ($id: ID!) { archiveListing(id: $id) { id } }`, { id });
  const archived = Date.now();
  while ((await count(word)) !== 0) {
    if (Date.now() - archived > 2_000) throw new Error('the archive did not reach search on the replica within 2 s');
    await new Promise((r) => setTimeout(r, 10));
  }
});
