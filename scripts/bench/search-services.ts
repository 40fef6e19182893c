import { randomBytes } from 'node:crypto';
import { siblingDatabaseUrl } from '../../lib/db/data-source';
import { createEventBus } from '../../lib/events/bus';
import { createLogger } from '../../lib/logger';
import { reputationPriorFromEnv } from '../../lib/reputation-prior';
import { startSubgraph, type StartedSubgraph } from '../../lib/server/start-subgraph';
import type { SubgraphName } from '../../schema/subgraphs';
import { reindexSearch } from '../../subgraphs/listings/search/reindex';
import { MODULES } from '../stack';
import { loadListings, sellers } from './catalogue';

/**
 * The search benchmark's services, in a process of their own (the router is another): the
 * subgraphs on BENCH_DATABASE_URL's server (one database each, kept between runs so that a large
 * catalogue loads once) or on embedded PGlite, loaded with BENCH_LISTINGS listings of BENCH_SELLERS
 * sellers when they do not hold them yet, then made searchable by a rebuild of the read model.
 * Tells its parent where everything is with one JSON line on stdout.
 */
const LISTINGS = Number(process.env.BENCH_LISTINGS);
const SELLERS = Number(process.env.BENCH_SELLERS ?? 2000);
const say = (message: string) => process.stderr.write(`${message}\n`);

async function ensureCatalogue(subgraphs: Record<SubgraphName, StartedSubgraph>): Promise<void> {
  const db = subgraphs.listings.db;
  const [{ count }]: { count: string }[] = await db.query(`SELECT count(*) AS count FROM listings`);
  if (Number(count) === LISTINGS) {
    say(`catalogue: ${LISTINGS.toLocaleString('en')} listings already loaded`);
    return;
  }
  await db.query(`TRUNCATE listings, stock_reservations, listing_reports, seller_standing, seller_reputation, seller_profiles`);
  // sellers in accounts, and listings' copies of their shop names and scores (as their events leave them)
  const scores = sellers(SELLERS);
  const ids: { id: string; shop_name: string }[] = await subgraphs.accounts.db.query(
    `WITH u AS (
       INSERT INTO users (email, password_hash, display_name)
       SELECT 'bench-seller-' || i || '-' || $2 || '@example.com', 'scrypt$1$1$1$x$y', 'Bench seller ' || i FROM generate_series(1, $1::int) i
       RETURNING id, display_name
     )
     INSERT INTO sellers (user_id, shop_name, country, currency)
     SELECT id, display_name || ' ' || $2 || '''s shop', 'US', 'USD' FROM u RETURNING id, shop_name`,
    [SELLERS, randomBytes(3).toString('hex')],
  );
  const owners = ids.map((row, i) => ({ id: row.id, score: scores[i].score }));
  await db.query(
    `INSERT INTO seller_reputation (seller_id, score, review_count) SELECT * FROM unnest($1::uuid[], $2::float8[], $3::int[])`,
    [owners.map((o) => o.id), owners.map((o) => o.score), owners.map(() => 20)],
  );
  await db.query(`INSERT INTO seller_profiles (seller_id, shop_name, updated_at) SELECT *, now() FROM unnest($1::uuid[], $2::text[])`, [
    ids.map((row) => row.id),
    ids.map((row) => row.shop_name),
  ]);
  const started = Date.now();
  let reported = 0;
  await loadListings(db, owners, LISTINGS, (loaded) => {
    if (loaded - reported >= LISTINGS / 20 || loaded === LISTINGS) {
      say(`catalogue: ${loaded.toLocaleString('en')} / ${LISTINGS.toLocaleString('en')} listings loaded (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      reported = loaded;
    }
  });
  await db.query('VACUUM ANALYZE listings');
  const reindexStarted = Date.now();
  await reindexSearch(db, {
    priorScore: reputationPriorFromEnv(process.env).mean,
    onProgress: ({ phase, documents, expected }) => {
      if (phase !== 'copy' || documents === expected || documents % 200_000 === 0) say(`reindex: ${phase} ${documents.toLocaleString('en')} / ${expected.toLocaleString('en')}`);
    },
  });
  await db.query('VACUUM ANALYZE search.documents');
  say(`catalogue: loaded in ${((reindexStarted - started) / 1000).toFixed(0)} s, made searchable in ${((Date.now() - reindexStarted) / 1000).toFixed(0)} s`);
}

/**
 * Reads the search read model and the listings into PostgreSQL's buffers, as production's autoprewarm
 * (docker-compose.yml loads pg_prewarm) does after a restart: measured without it, the first minutes
 * after a start read pages from the kernel's cache, a cost a running server does not pay.
 */
async function prewarm(listings: StartedSubgraph): Promise<void> {
  const started = Date.now();
  await listings.db.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
  const [{ pages }]: { pages: string }[] = await listings.db.query(
    `SELECT coalesce(sum(pg_prewarm(c.oid)), 0) AS pages FROM pg_class c
     WHERE c.relkind IN ('r', 'i') AND (c.relnamespace = 'search'::regnamespace OR c.relname LIKE 'listings%')`,
  );
  say(`prewarm: ${Number(pages).toLocaleString('en')} pages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function main() {
  const logger = createLogger({ service: 'bench' });
  const secret = process.env.ROUTER_SECRET!;
  const databaseUrl = process.env.BENCH_DATABASE_URL || undefined;
  const bus = createEventBus(undefined, logger);
  const names = Object.keys(MODULES) as SubgraphName[];
  const urls: Partial<Record<string, string>> = {};
  const started = await Promise.all(
    names.map((name) =>
      startSubgraph(MODULES[name], {
        databaseUrl: databaseUrl ? siblingDatabaseUrl(databaseUrl, name) : undefined,
        ephemeral: true,
        routerSecret: secret,
        logger,
        bus,
        peerUrl: (peer) => urls[peer]!,
      }),
    ),
  );
  const subgraphs = Object.fromEntries(names.map((name, i) => [name, started[i]])) as Record<SubgraphName, StartedSubgraph>;
  for (const name of names) urls[name] = subgraphs[name].url;
  await ensureCatalogue(subgraphs);
  if (databaseUrl) await prewarm(subgraphs.listings);
  process.stdout.write(`${JSON.stringify({ urls })}\n`);
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
    await bus.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
