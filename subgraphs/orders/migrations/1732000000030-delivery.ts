import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders with delivery: what the items came to and what shipping cost (total = subtotal + shipping),
 * the address as the buyer gave it (a copy: later edits of the address book do not move parcels), the
 * delivery window promised at checkout, and the carrier. Existing orders had no shipping.
 */
export class Delivery1732000000030 implements MigrationInterface {
  name = 'Delivery1732000000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN subtotal_amount integer`);
    await q.query(`UPDATE orders SET subtotal_amount = total_amount`);
    await q.query(`ALTER TABLE orders ALTER COLUMN subtotal_amount SET NOT NULL`);
    await q.query(`ALTER TABLE orders ADD COLUMN shipping_amount integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE orders ADD CONSTRAINT orders_total_is_subtotal_and_shipping CHECK (total_amount = subtotal_amount + shipping_amount)`);
    await q.query(`ALTER TABLE orders ADD COLUMN shipping_address jsonb`);
    await q.query(`ALTER TABLE orders ADD COLUMN delivery_earliest date`);
    await q.query(`ALTER TABLE orders ADD COLUMN delivery_latest date`);
    await q.query(`ALTER TABLE orders ADD COLUMN carrier text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_total_is_subtotal_and_shipping`);
    for (const column of ['subtotal_amount', 'shipping_amount', 'shipping_address', 'delivery_earliest', 'delivery_latest', 'carrier']) {
      await q.query(`ALTER TABLE orders DROP COLUMN ${column}`);
    }
  }
}
