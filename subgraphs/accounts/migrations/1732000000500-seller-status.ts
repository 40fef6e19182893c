import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A seller's standing: operators suspend a shop and reinstate it (seller-standing.ts). */
export class SellerStatus1732000000500 implements MigrationInterface {
  name = 'SellerStatus1732000000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sellers ADD COLUMN status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED'))`);
    await q.query(`ALTER TABLE sellers ADD COLUMN suspension_reason text`);
    await q.query(`ALTER TABLE sellers ADD COLUMN status_changed_at timestamptz(3)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sellers DROP COLUMN status_changed_at`);
    await q.query(`ALTER TABLE sellers DROP COLUMN suspension_reason`);
    await q.query(`ALTER TABLE sellers DROP COLUMN status`);
  }
}
