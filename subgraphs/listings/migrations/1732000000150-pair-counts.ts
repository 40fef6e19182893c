import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SEARCH_SCHEMA, createCountingFunction } from '../search/read-model';
import { COMMON_WORDS, admitCommonWords, createPairCounts } from '../search/pair-counts';

/** Counts per pair of common words, for two-word searches (see pair-counts.ts). */
export class PairCounts1732000000150 implements MigrationInterface {
  name = 'PairCounts1732000000150';

  async up(q: QueryRunner): Promise<void> {
    await createPairCounts(q, SEARCH_SCHEMA);
    // the trigger counts pairs from here on, and the words common already have theirs counted from the
    // documents, in the same transaction (the documents locked meanwhile)
    await createCountingFunction(q, SEARCH_SCHEMA);
    await admitCommonWords(q, SEARCH_SCHEMA, COMMON_WORDS);
  }

  async down(q: QueryRunner): Promise<void> {
    await createCountingFunction(q, SEARCH_SCHEMA, { categoryCounts: true, pairCounts: false });
    await q.query(`DROP TABLE ${SEARCH_SCHEMA}.pair_counts`);
    await q.query(`DROP TABLE ${SEARCH_SCHEMA}.common_words`);
  }
}
