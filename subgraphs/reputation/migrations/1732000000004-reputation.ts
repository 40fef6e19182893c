import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Reputation1732000000004 implements MigrationInterface {
  name = 'Reputation1732000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reviews (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL,
        seller_id uuid NOT NULL,
        author_id uuid NOT NULL,
        rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT reviews_order_id_key UNIQUE (order_id)
      )`);
    await q.query(`CREATE INDEX reviews_seller_idx ON reviews (seller_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reviews`);
  }
}
