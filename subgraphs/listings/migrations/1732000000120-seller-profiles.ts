import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Listings' copy of each seller's shop name, served with the seller of a listing (see seller-profiles.ts). */
export class SellerProfiles1732000000120 implements MigrationInterface {
  name = 'SellerProfiles1732000000120';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE seller_profiles (
        seller_id uuid PRIMARY KEY,
        shop_name text NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE seller_profiles`);
  }
}
