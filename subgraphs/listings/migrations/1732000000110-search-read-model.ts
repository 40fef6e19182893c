import type { MigrationInterface, QueryRunner } from 'typeorm';
import { reputationPriorFromEnv } from '../../../lib/reputation-prior';
import {
  DOCUMENT_COLUMNS,
  SEARCH_SCHEMA,
  compactCounters,
  createCountingTrigger,
  createReadModelIndexes,
  createReadModelTables,
  documentSelect,
} from '../search/read-model';

/** The counters this migration made; later ones add the others. */
const FIRST_COUNTERS = { categoryCounts: false, pairCounts: false };

/** Search moves from the listings table to a read model of its own (see search/read-model.ts). */
export class SearchReadModel1732000000110 implements MigrationInterface {
  name = 'SearchReadModel1732000000110';

  async up(q: QueryRunner): Promise<void> {
    await createReadModelTables(q, SEARCH_SCHEMA, FIRST_COUNTERS);
    await createReadModelIndexes(q, SEARCH_SCHEMA);
    await createCountingTrigger(q, SEARCH_SCHEMA);
    // listings that exist already become searchable; a large catalogue is better served by npm run search:reindex
    await q.query(`INSERT INTO ${SEARCH_SCHEMA}.documents (${DOCUMENT_COLUMNS}) ${documentSelect(SEARCH_SCHEMA, '$1::float8', { standing: false })}`, [
      reputationPriorFromEnv(process.env).mean,
    ]);
    await compactCounters(q, SEARCH_SCHEMA, FIRST_COUNTERS);
    // the read model answers every search now
    await q.query(`DROP INDEX listings_search_idx`);
    await q.query(`DROP INDEX listings_active_newest_idx`);
    await q.query(`DROP INDEX listings_active_price_idx`);
    await q.query(`DROP INDEX listings_active_category_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX listings_search_idx ON listings USING gin (search)`);
    await q.query(`CREATE INDEX listings_active_newest_idx ON listings (created_at DESC, id DESC) WHERE status = 'ACTIVE'`);
    await q.query(`CREATE INDEX listings_active_price_idx ON listings (price_amount, id) WHERE status = 'ACTIVE'`);
    await q.query(`CREATE INDEX listings_active_category_idx ON listings (category_slug, created_at DESC, id DESC) WHERE status = 'ACTIVE'`);
    await q.query(`DROP SCHEMA ${SEARCH_SCHEMA} CASCADE`);
  }
}
