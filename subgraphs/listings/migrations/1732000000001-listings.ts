import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Listings1732000000001 implements MigrationInterface {
  name = 'Listings1732000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE categories (
        slug text PRIMARY KEY,
        name text NOT NULL,
        position integer NOT NULL
      )`);
    await q.query(`
      INSERT INTO categories (slug, name, position) VALUES
        ('electronics', 'Electronics', 1),
        ('books', 'Books', 2),
        ('home-garden', 'Home & Garden', 3),
        ('fashion', 'Fashion', 4),
        ('toys-games', 'Toys & Games', 5),
        ('sports-outdoors', 'Sports & Outdoors', 6),
        ('art-collectibles', 'Art & Collectibles', 7),
        ('health-beauty', 'Health & Beauty', 8)`);
    // to_tsvector with an explicit configuration is immutable, which a generated column requires.
    await q.query(`
      CREATE TABLE listings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seller_id uuid NOT NULL,
        title text NOT NULL,
        description text NOT NULL,
        category_slug text NOT NULL REFERENCES categories(slug),
        price_amount integer NOT NULL CONSTRAINT listings_price_amount_check CHECK (price_amount > 0),
        currency char(3) NOT NULL,
        stock integer NOT NULL CONSTRAINT listings_stock_check CHECK (stock >= 0),
        status text NOT NULL DEFAULT 'DRAFT'
          CONSTRAINT listings_status_check CHECK (status IN ('DRAFT', 'ACTIVE', 'ARCHIVED')),
        search tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', description), 'B')
        ) STORED,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX listings_search_idx ON listings USING gin (search)`);
    // Search reads ACTIVE rows only: partial indexes serve its sorts and stay small as drafts and archives pile up.
    await q.query(`CREATE INDEX listings_active_newest_idx ON listings (created_at DESC, id DESC) WHERE status = 'ACTIVE'`);
    // Read backwards, the same index serves PRICE_DESC.
    await q.query(`CREATE INDEX listings_active_price_idx ON listings (price_amount, id) WHERE status = 'ACTIVE'`);
    await q.query(`
      CREATE INDEX listings_active_category_idx ON listings (category_slug, created_at DESC, id DESC)
        WHERE status = 'ACTIVE'`);
    // A seller's own list (every status, newest first) and the sellerId filter.
    await q.query(`CREATE INDEX listings_seller_idx ON listings (seller_id, created_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE seller_reputation (
        seller_id uuid PRIMARY KEY,
        score double precision NOT NULL DEFAULT 0,
        review_count integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE seller_reputation`);
    await q.query(`DROP TABLE listings`);
    await q.query(`DROP TABLE categories`);
  }
}
