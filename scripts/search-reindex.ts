import { listingsConfig } from '../subgraphs/listings/config';
import { reindexSearch } from '../subgraphs/listings/search/reindex';
import { listings } from '../subgraphs/listings/subgraph';
import { openSubgraphDatabase } from './subgraph-database';

/**
 * `npm run search:reindex`: rebuilds every search structure of the listings subgraph (read model,
 * counters) from the listings of record, while search keeps answering. Run it with the listings
 * subgraph's environment: DATABASE_URL is its database (as in docker-compose.yml). Without
 * DATABASE_URL it opens the embedded database under DATA_DIR, which only one process may hold: stop
 * `npm start` first.
 */
async function main() {
  const env = process.env;
  const { db, close } = await openSubgraphDatabase(listings, env);
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
  let lastCopyReport = 0;
  const config = listingsConfig(env);
  try {
    const { documents } = await reindexSearch(db, {
      priorScore: config.priorScore,
      commonWords: config.commonWords,
      onProgress: ({ phase, documents, expected }) => {
        if (phase === 'copy') {
          if (Date.now() - lastCopyReport < 1000 && documents < expected) return;
          lastCopyReport = Date.now();
          const share = expected ? Math.min(100, (100 * documents) / expected).toFixed(0) : '100';
          console.log(`[${seconds()} s] copying listings: ${documents.toLocaleString('en')} of ${expected.toLocaleString('en')} (${share} %)`);
        } else if (phase === 'count') console.log(`[${seconds()} s] counting words, pairs of common words, and facets`);
        else if (phase === 'index') console.log(`[${seconds()} s] building indexes`);
        else if (phase === 'swap') console.log(`[${seconds()} s] catching up with changes made meanwhile, and swapping in the new read model`);
      },
    });
    console.log(`[${seconds()} s] done: ${documents.toLocaleString('en')} searchable listings`);
  } finally {
    await close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
