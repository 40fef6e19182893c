import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Accounts1732000000000 implements MigrationInterface {
  name = 'Accounts1732000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        password_hash text NOT NULL,
        display_name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_key UNIQUE (email)
      )`);
    await q.query(`
      CREATE TABLE sellers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id),
        shop_name text NOT NULL,
        country char(2) NOT NULL,
        currency char(3) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT sellers_user_id_key UNIQUE (user_id)
      )`);
    await q.query(`CREATE UNIQUE INDEX sellers_shop_name_key ON sellers (lower(shop_name))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sellers`);
    await q.query(`DROP TABLE users`);
  }
}
