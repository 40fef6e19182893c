import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Sellers' shipping rates (see shipping.ts). */
export class ShippingRates1732000000020 implements MigrationInterface {
  name = 'ShippingRates1732000000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE shipping_rates (
        seller_id uuid NOT NULL,
        country text NOT NULL,
        price_amount integer NOT NULL CHECK (price_amount >= 0),
        free_over_amount integer CHECK (free_over_amount > 0),
        currency char(3) NOT NULL,
        min_days integer NOT NULL,
        max_days integer NOT NULL,
        PRIMARY KEY (seller_id, country),
        CHECK (0 <= min_days AND min_days <= max_days)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE shipping_rates`);
  }
}
