import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A chargeback lost after the seller was paid: the seller's share, booked first as the platform's loss, is asked
 * back from the seller's transfer (a transfer reversal) after the chargeback is closed, never inside that
 * transaction. The row is the intent, written with the close, so that a redelivered close (or a crash between
 * the two) asks again with the same idempotency key rather than forgetting the recovery or asking twice.
 *
 * The test provider's transfers count what was reversed of them, as Stripe's do (amount_reversed), so that it
 * refuses a reversal of more than is left.
 */
export class ChargebackRecoveries1732000000530 implements MigrationInterface {
  name = 'ChargebackRecoveries1732000000530';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chargeback_recoveries (
        chargeback_ref text NOT NULL REFERENCES chargebacks(provider_ref),
        order_id uuid NOT NULL REFERENCES payment_orders(order_id),
        seller_id uuid NOT NULL,
        currency text NOT NULL,
        -- the seller's share of the lost chargeback that was paid out to them
        amount integer NOT NULL CHECK (amount > 0),
        status text NOT NULL CHECK (status IN ('PENDING', 'RECOVERED', 'REFUSED')),
        -- the transfer it was taken back from, and the provider's reversal (trr_…)
        transfer_id uuid REFERENCES transfers(id),
        provider_ref text,
        attempts integer NOT NULL DEFAULT 0,
        failure text,
        -- a delivery asking the provider now: a concurrent one leaves it to that one until this has passed
        claimed_until timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        settled_at timestamptz(3),
        PRIMARY KEY (chargeback_ref, order_id)
      )`);
    await q.query(`CREATE INDEX chargeback_recoveries_pending_idx ON chargeback_recoveries (created_at) WHERE status = 'PENDING'`);
    await q.query(`ALTER TABLE test_provider_records ADD COLUMN reversed integer NOT NULL DEFAULT 0 CHECK (reversed >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE test_provider_records DROP COLUMN reversed`);
    await q.query(`DROP TABLE chargeback_recoveries`);
  }
}
