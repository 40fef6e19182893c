import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The stock at which a listing's seller is told it is running low (LOW_STOCK), per listing. */
export class LowStock1732000000170 implements MigrationInterface {
  name = 'LowStock1732000000170';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE listings ADD COLUMN low_stock_threshold integer NOT NULL DEFAULT 3 CHECK (low_stock_threshold >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE listings DROP COLUMN low_stock_threshold`);
  }
}
