import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Disputes freeze escrow: a hold per disputed order (a buyer's dispute, or its share of a chargeback), which the
 * release waits for; chargebacks as the payment provider reported them; and the ledger's CHARGEBACK movement
 * (money the buyer's bank took back).
 */
export class Disputes1732000000310 implements MigrationInterface {
  name = 'Disputes1732000000310';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chargebacks (
        provider_ref text PRIMARY KEY,
        payment_id uuid NOT NULL REFERENCES payments(id),
        amount integer NOT NULL CHECK (amount > 0),
        currency text NOT NULL,
        reason text NOT NULL,
        status text NOT NULL CHECK (status IN ('OPEN', 'WON', 'LOST')),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        closed_at timestamptz(3)
      )`);
    await q.query(`
      CREATE TABLE escrow_holds (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES payment_orders(order_id),
        -- the buyer's dispute (orders' id), or the chargeback whose share of the charge this order holds
        dispute_id uuid UNIQUE,
        chargeback_ref text REFERENCES chargebacks(provider_ref),
        amount integer NOT NULL CHECK (amount > 0),
        -- the order was delivered while held: its release is due once the hold is lifted in the seller's favour
        release_due boolean NOT NULL DEFAULT false,
        -- the decision, fixed by its first request so that a different second one is refused
        refund_requested integer,
        release_requested boolean,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        settled_at timestamptz(3),
        CHECK ((dispute_id IS NULL) <> (chargeback_ref IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX escrow_holds_chargeback_order_idx ON escrow_holds (chargeback_ref, order_id) WHERE chargeback_ref IS NOT NULL`);
    await q.query(`CREATE INDEX escrow_holds_open_idx ON escrow_holds (order_id) WHERE settled_at IS NULL`);
    await q.query(`ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check`);
    await q.query(`
      ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
        CHECK (kind IN ('CHARGE', 'RELEASE', 'REFUND', 'TRANSFER', 'TRANSFER_RETURNED', 'CHARGEBACK'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check`);
    await q.query(`
      ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
        CHECK (kind IN ('CHARGE', 'RELEASE', 'REFUND', 'TRANSFER', 'TRANSFER_RETURNED'))`);
    await q.query(`DROP TABLE escrow_holds`);
    await q.query(`DROP TABLE chargebacks`);
  }
}
