import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each seller's standing as accounts announces it: transfers to a suspended seller wait (seller-standing.ts). */
export class SellerStanding1732000000520 implements MigrationInterface {
  name = 'SellerStanding1732000000520';

  async up(q: QueryRunner): Promise<void> {
    // changed_at is the event's time: an older event than the row's changes nothing, whatever the delivery order
    await q.query(`
      CREATE TABLE seller_standing (
        seller_id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED')),
        changed_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE seller_standing`);
  }
}
