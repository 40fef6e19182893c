import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SEARCH_SCHEMA, createCategoryCounts, createCountingFunction } from '../search/read-model';

/** Counts per category without price buckets, for searches without a price bound (see createCategoryCounts). */
export class CategoryCounts1732000000140 implements MigrationInterface {
  name = 'CategoryCounts1732000000140';

  async up(q: QueryRunner): Promise<void> {
    await createCategoryCounts(q, SEARCH_SCHEMA);
    // the trigger counts into the new table from here on, and the table starts from the price buckets' sums
    // (deltas included), in the same transaction
    await createCountingFunction(q, SEARCH_SCHEMA, { categoryCounts: true, pairCounts: false });
    await q.query(`
      INSERT INTO ${SEARCH_SCHEMA}.category_counts (category_slug, in_stock, n, delta)
        SELECT category_slug, in_stock, sum(n), false FROM ${SEARCH_SCHEMA}.facet_counts GROUP BY 1, 2 HAVING sum(n) <> 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await createCountingFunction(q, SEARCH_SCHEMA, { categoryCounts: false, pairCounts: false });
    await q.query(`DROP TABLE ${SEARCH_SCHEMA}.category_counts`);
  }
}
