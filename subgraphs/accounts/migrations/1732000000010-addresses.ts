import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users' address books (see addresses.ts). */
export class Addresses1732000000010 implements MigrationInterface {
  name = 'Addresses1732000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE addresses (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        line1 text NOT NULL,
        line2 text,
        city text NOT NULL,
        region text,
        postal_code text NOT NULL,
        country char(2) NOT NULL,
        phone text,
        is_default boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX addresses_user ON addresses (user_id, created_at DESC, id DESC)`);
    // one default per user, whatever writers race
    await q.query(`CREATE UNIQUE INDEX addresses_one_default ON addresses (user_id) WHERE is_default`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE addresses`);
  }
}
