import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Orders1732000000002 implements MigrationInterface {
  name = 'Orders1732000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE purchases (
        id uuid PRIMARY KEY,
        buyer_id uuid NOT NULL,
        idempotency_key text NOT NULL,
        request_hash text NOT NULL,
        state text NOT NULL CHECK (state IN ('RESERVING', 'ORDERED', 'OPEN')),
        currency char(3),
        total_amount integer NOT NULL DEFAULT 0 CHECK (total_amount >= 0),
        expires_at timestamptz(3) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT purchases_idempotency_key UNIQUE (buyer_id, idempotency_key)
      )`);
    await q.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        purchase_id uuid NOT NULL REFERENCES purchases(id),
        buyer_id uuid NOT NULL,
        seller_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN
          ('PENDING_PAYMENT', 'PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUNDED')),
        currency char(3) NOT NULL,
        total_amount integer NOT NULL CHECK (total_amount > 0),
        tracking_number text,
        cancellation_reason text,
        shipped_at timestamptz,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT orders_one_per_seller UNIQUE (purchase_id, seller_id)
      )`);
    await q.query(`CREATE INDEX orders_buyer_idx ON orders (buyer_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX orders_seller_idx ON orders (seller_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX orders_pending_idx ON orders (purchase_id) WHERE status = 'PENDING_PAYMENT'`);
    await q.query(`CREATE INDEX orders_shipped_idx ON orders (shipped_at) WHERE status = 'SHIPPED'`);
    await q.query(`
      CREATE TABLE order_items (
        order_id uuid NOT NULL REFERENCES orders(id),
        listing_id uuid NOT NULL,
        title text NOT NULL,
        category_slug text NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price integer NOT NULL CHECK (unit_price > 0),
        currency char(3) NOT NULL,
        PRIMARY KEY (order_id, listing_id)
      )`);
    await q.query(`
      CREATE TABLE order_status_history (
        id bigserial PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders(id),
        status text NOT NULL,
        by text NOT NULL CHECK (by IN ('BUYER', 'SELLER', 'SYSTEM')),
        at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_status_history`);
    await q.query(`DROP TABLE order_items`);
    await q.query(`DROP TABLE orders`);
    await q.query(`DROP TABLE purchases`);
  }
}
