import type { MigrationInterface, QueryRunner } from 'typeorm';

/** When the buyer of an unpaid purchase was reminded that it is about to expire (once per purchase). */
export class ExpiryReminders1732000000040 implements MigrationInterface {
  name = 'ExpiryReminders1732000000040';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE purchases ADD COLUMN expiry_reminded_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE purchases DROP COLUMN expiry_reminded_at`);
  }
}
