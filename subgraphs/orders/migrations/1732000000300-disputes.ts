import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Disputes: the order status DISPUTED, a dispute per order at a time (its buyer's, or a chargeback the payment
 * provider reported), and its thread of messages.
 */
export class Disputes1732000000300 implements MigrationInterface {
  name = 'Disputes1732000000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_status_check`);
    await q.query(`
      ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN
        ('PENDING_PAYMENT', 'PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUNDED', 'DISPUTED'))`);
    await q.query(`
      CREATE TABLE disputes (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders(id),
        buyer_id uuid NOT NULL,
        seller_id uuid NOT NULL,
        source text NOT NULL CHECK (source IN ('BUYER', 'PROVIDER')),
        status text NOT NULL CHECK (status IN ('AWAITING_SELLER', 'UNDER_REVIEW', 'RESOLVED')),
        reason text NOT NULL CHECK (reason IN ('NOT_RECEIVED', 'NOT_AS_DESCRIBED', 'DAMAGED', 'OTHER')),
        details text NOT NULL,
        -- the order's status before it was disputed: a chargeback the seller wins puts it back
        previous_status text NOT NULL,
        -- a chargeback: the provider's dispute (dp_…) and the part of the charge it holds against this order
        provider_ref text,
        disputed_amount integer NOT NULL CHECK (disputed_amount > 0),
        currency char(3) NOT NULL,
        outcome text CHECK (outcome IN ('REFUND_BUYER', 'RELEASE_TO_SELLER', 'PARTIAL_REFUND')),
        refunded_amount integer CHECK (refunded_amount >= 0),
        resolution_note text,
        resolved_by uuid,
        created_at timestamptz(3) NOT NULL,
        updated_at timestamptz(3) NOT NULL,
        resolved_at timestamptz(3),
        CHECK ((status = 'RESOLVED') = (outcome IS NOT NULL AND resolved_at IS NOT NULL))
      )`);
    // one open dispute per order; a chargeback is recorded once per order however often the provider reports it
    await q.query(`CREATE UNIQUE INDEX disputes_one_open_per_order_idx ON disputes (order_id) WHERE status <> 'RESOLVED'`);
    await q.query(`CREATE UNIQUE INDEX disputes_provider_ref_idx ON disputes (provider_ref, order_id) WHERE provider_ref IS NOT NULL`);
    await q.query(`CREATE INDEX disputes_buyer_idx ON disputes (buyer_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX disputes_seller_idx ON disputes (seller_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX disputes_queue_idx ON disputes ((status = 'RESOLVED'), created_at, id)`);
    await q.query(`
      CREATE TABLE dispute_messages (
        id bigserial PRIMARY KEY,
        dispute_id uuid NOT NULL REFERENCES disputes(id),
        author_id uuid,
        role text NOT NULL CHECK (role IN ('BUYER', 'SELLER', 'OPERATOR')),
        body text NOT NULL,
        at timestamptz(3) NOT NULL
      )`);
    await q.query(`CREATE INDEX dispute_messages_dispute_idx ON dispute_messages (dispute_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dispute_messages`);
    await q.query(`DROP TABLE disputes`);
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_status_check`);
    await q.query(`
      ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN
        ('PENDING_PAYMENT', 'PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUNDED'))`);
  }
}
