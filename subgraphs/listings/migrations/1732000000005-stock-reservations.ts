import type { MigrationInterface, QueryRunner } from 'typeorm';

export class StockReservations1732000000005 implements MigrationInterface {
  name = 'StockReservations1732000000005';

  async up(q: QueryRunner): Promise<void> {
    // One line per listing of a purchase: what was taken, at which price, and how much came back.
    await q.query(`
      CREATE TABLE stock_reservations (
        reservation_id uuid NOT NULL,
        listing_id uuid NOT NULL REFERENCES listings(id),
        seller_id uuid NOT NULL,
        title text NOT NULL,
        category_slug text NOT NULL,
        unit_price integer NOT NULL,
        currency char(3) NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        returned integer NOT NULL DEFAULT 0 CHECK (returned >= 0 AND returned <= quantity),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (reservation_id, listing_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stock_reservations`);
  }
}
