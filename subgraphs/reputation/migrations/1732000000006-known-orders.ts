import type { MigrationInterface, QueryRunner } from 'typeorm';

export class KnownOrders1732000000006 implements MigrationInterface {
  name = 'KnownOrders1732000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE known_orders (
        id uuid PRIMARY KEY,
        buyer_id uuid NOT NULL,
        seller_id uuid NOT NULL,
        status text NOT NULL,
        status_at timestamptz(3) NOT NULL,
        delivered_at timestamptz(3),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Keyset pages of a seller's reviews compare (created_at, id) as JavaScript Dates carry them: in milliseconds.
    await q.query(`ALTER TABLE reviews ALTER COLUMN created_at TYPE timestamptz(3)`);
    await q.query(`DROP INDEX reviews_seller_idx`);
    await q.query(`CREATE INDEX reviews_seller_idx ON reviews (seller_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX reviews_seller_idx`);
    await q.query(`CREATE INDEX reviews_seller_idx ON reviews (seller_id, created_at DESC)`);
    await q.query(`ALTER TABLE reviews ALTER COLUMN created_at TYPE timestamptz`);
    await q.query(`DROP TABLE known_orders`);
  }
}
