import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Roles granted to users beyond buying and selling: operators run the marketplace (see roles.ts). */
export class Operators1732000000020 implements MigrationInterface {
  name = 'Operators1732000000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_roles (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('operator')),
        granted_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, role)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE user_roles`);
  }
}
