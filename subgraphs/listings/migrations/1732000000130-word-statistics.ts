import type { MigrationInterface, QueryRunner } from 'typeorm';
import { setWordStatistics } from '../search/read-model';

/** Smaller word statistics, which plan text searches three times faster (see setWordStatistics). */
export class WordStatistics1732000000130 implements MigrationInterface {
  name = 'WordStatistics1732000000130';

  async up(q: QueryRunner): Promise<void> {
    await setWordStatistics(q);
    await q.query('ANALYZE search.documents');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE search.documents ALTER COLUMN terms SET STATISTICS 1000');
    await q.query('ALTER TABLE search.documents ALTER COLUMN title_terms SET STATISTICS 1000');
  }
}
