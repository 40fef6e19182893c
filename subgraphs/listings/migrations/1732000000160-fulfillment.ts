import type { MigrationInterface, QueryRunner } from 'typeorm';

/** How a listing reaches its buyer (SHIPPING, DIGITAL, SERVICE); reservations keep it for checkout. */
export class Fulfillment1732000000160 implements MigrationInterface {
  name = 'Fulfillment1732000000160';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE listings ADD COLUMN fulfillment text NOT NULL DEFAULT 'SHIPPING'
        CONSTRAINT listings_fulfillment_check CHECK (fulfillment IN ('SHIPPING', 'DIGITAL', 'SERVICE'))`);
    await q.query(`ALTER TABLE stock_reservations ADD COLUMN fulfillment text NOT NULL DEFAULT 'SHIPPING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stock_reservations DROP COLUMN fulfillment`);
    await q.query(`ALTER TABLE listings DROP COLUMN fulfillment`);
  }
}
