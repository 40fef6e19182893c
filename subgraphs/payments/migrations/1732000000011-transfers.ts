import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transfers to sellers become objects of their own, in the ledger: one transfer pays one order
 * (PER_ORDER) or everything released to a seller in a day or a week (DAILY, WEEKLY), and moves that
 * money from the seller's available account to their paid-out account. Refunds after a transfer take
 * the seller's share back from it (a reversal).
 */
export class Transfers1732000000011 implements MigrationInterface {
  name = 'Transfers1732000000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE transfers (
        id uuid PRIMARY KEY,
        seller_id uuid NOT NULL,
        currency text NOT NULL,
        amount integer NOT NULL CHECK (amount > 0),
        status text NOT NULL CHECK (status IN ('PENDING', 'PAID', 'FAILED', 'REVERSED')),
        idempotency_key text NOT NULL CONSTRAINT transfers_idempotency_key_key UNIQUE,
        provider_ref text,
        reversed_amount integer NOT NULL DEFAULT 0 CHECK (reversed_amount >= 0 AND reversed_amount <= amount),
        attempts integer NOT NULL DEFAULT 0,
        failure text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        paid_at timestamptz
      )`);
    // the seller's history, newest first; the sweep's unsent transfers
    await q.query(`CREATE INDEX transfers_seller_idx ON transfers (seller_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX transfers_unsent_idx ON transfers (created_at) WHERE status = 'PENDING'`);
    await q.query(`ALTER TABLE payment_orders ADD COLUMN transfer_id uuid REFERENCES transfers (id)`);
    await q.query(`CREATE INDEX payment_orders_transfer_idx ON payment_orders (transfer_id) WHERE transfer_id IS NOT NULL`);
    // a seller's released orders not yet in a transfer
    await q.query(`
      CREATE INDEX payment_orders_untransferred_seller_idx ON payment_orders (seller_id, released_at)
        WHERE released_net > 0 AND transfer_id IS NULL`);
    // which transfer a refund took the seller's share back from
    await q.query(`ALTER TABLE refunds ADD COLUMN reversed_transfer_id uuid REFERENCES transfers (id)`);
    // a batch transfer spans payments: its ledger transactions belong to no one payment
    await q.query(`ALTER TABLE ledger_transactions ALTER COLUMN payment_id DROP NOT NULL`);
    await q.query(`ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check`);
    await q.query(`
      ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
        CHECK (kind IN ('CHARGE', 'RELEASE', 'REFUND', 'TRANSFER', 'TRANSFER_RETURNED'))`);
    await q.query(`
      CREATE TABLE payout_schedules (
        seller_id uuid PRIMARY KEY,
        schedule text NOT NULL CHECK (schedule IN ('PER_ORDER', 'DAILY', 'WEEKLY')),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Orders transferred before transfers were kept: each becomes a transfer, and what the ledger
    // still holds for its seller from it moves to paid out, as it left the platform. The key is the
    // one it was (or is being) sent with, so that one still on its way is not sent twice.
    await q.query(`
      DO $$
      DECLARE o record; held integer; transfer uuid; txn uuid;
      BEGIN
        FOR o IN SELECT * FROM payment_orders WHERE transfer_ref IS NOT NULL OR transfer_amount > 0 LOOP
          SELECT coalesce(sum(amount), 0) INTO held FROM ledger_entries
            WHERE account = 'seller:' || o.seller_id AND currency = o.currency AND order_id = o.order_id;
          transfer := gen_random_uuid();
          INSERT INTO transfers (id, seller_id, currency, amount, status, idempotency_key, provider_ref, reversed_amount, attempts, paid_at)
          VALUES (transfer, o.seller_id, o.currency, coalesce(o.transfer_amount, o.released_net),
                  CASE WHEN o.transfer_ref IS NULL THEN 'PENDING' WHEN held = 0 THEN 'REVERSED' ELSE 'PAID' END,
                  'transfer:' || o.order_id, o.transfer_ref,
                  CASE WHEN o.transfer_ref IS NULL THEN 0 ELSE coalesce(o.transfer_amount, o.released_net) - held END,
                  1, CASE WHEN o.transfer_ref IS NULL THEN NULL ELSE o.released_at END);
          UPDATE payment_orders SET transfer_id = transfer, transfer_amount = coalesce(o.transfer_amount, o.released_net) WHERE order_id = o.order_id;
          IF held > 0 THEN
            txn := gen_random_uuid();
            INSERT INTO ledger_transactions (id, reference, kind, payment_id, order_id) VALUES (txn, 'transfer:' || transfer, 'TRANSFER', NULL, NULL);
            INSERT INTO ledger_entries (id, transaction_id, account, currency, amount, order_id) VALUES
              (gen_random_uuid(), txn, 'seller:' || o.seller_id, o.currency, -held, o.order_id),
              (gen_random_uuid(), txn, 'paid-out:' || o.seller_id, o.currency, held, o.order_id);
          END IF;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    // the ledger is append-only: transfer transactions stay, and so does what they moved
    await q.query(`DROP TABLE payout_schedules`);
    await q.query(`ALTER TABLE refunds DROP COLUMN reversed_transfer_id`);
    await q.query(`DROP INDEX payment_orders_untransferred_seller_idx`);
    await q.query(`ALTER TABLE payment_orders DROP COLUMN transfer_id`);
    await q.query(`DROP TABLE transfers`);
  }
}
