import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Payments1732000000003 implements MigrationInterface {
  name = 'Payments1732000000003';

  async up(q: QueryRunner): Promise<void> {
    // One payment per purchase: the unique purchase id is what makes createPayment idempotent.
    await q.query(`
      CREATE TABLE payments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        purchase_id uuid NOT NULL CONSTRAINT payments_purchase_id_key UNIQUE,
        buyer_id uuid NOT NULL,
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        amount integer NOT NULL CHECK (amount >= 0),
        status text NOT NULL CHECK (status IN ('REQUIRES_PAYMENT', 'SUCCEEDED', 'CANCELLED')),
        provider text NOT NULL,
        provider_ref text NOT NULL,
        client_secret text,
        charge_ref text,
        succeeded_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The seller's side of each order. net + platform_fee = amount always; refunded_* count settled refunds only.
    await q.query(`
      CREATE TABLE payment_orders (
        order_id uuid PRIMARY KEY,
        payment_id uuid NOT NULL REFERENCES payments(id),
        buyer_id uuid NOT NULL,
        seller_id uuid NOT NULL,
        currency text NOT NULL,
        amount integer NOT NULL CHECK (amount > 0),
        platform_fee integer NOT NULL CHECK (platform_fee >= 0),
        net integer NOT NULL CHECK (net >= 0),
        refunded_amount integer NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
        refunded_fee integer NOT NULL DEFAULT 0 CHECK (refunded_fee >= 0 AND refunded_fee <= platform_fee),
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'AVAILABLE', 'REFUNDED')),
        cancelled boolean NOT NULL DEFAULT false,
        charged_at timestamptz,
        released_at timestamptz,
        released_net integer CHECK (released_net >= 0),
        transfer_ref text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT payment_orders_split_check CHECK (net + platform_fee = amount),
        CONSTRAINT payment_orders_release_check CHECK (released_at IS NULL OR charged_at IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX payment_orders_payment_idx ON payment_orders (payment_id)`);
    // Released orders whose transfer to the seller has not been confirmed by the provider yet.
    await q.query(`CREATE INDEX payment_orders_untransferred_idx ON payment_orders (released_at) WHERE released_net > 0 AND transfer_ref IS NULL`);
    await q.query(`
      CREATE TABLE refunds (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL REFERENCES payment_orders(order_id),
        amount integer NOT NULL CHECK (amount > 0),
        fee_share integer NOT NULL CHECK (fee_share >= 0 AND fee_share <= amount),
        from_escrow boolean NOT NULL,
        reason text,
        status text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
        provider_ref text,
        source_event_id uuid CONSTRAINT refunds_source_event_id_key UNIQUE,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refunds_order_idx ON refunds (order_id, created_at)`);

    // The double-entry ledger. Append-only; a transaction's entries sum to zero per currency.
    await q.query(`
      CREATE TABLE ledger_transactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference text NOT NULL CONSTRAINT ledger_transactions_reference_key UNIQUE,
        kind text NOT NULL CHECK (kind IN ('CHARGE', 'RELEASE', 'REFUND')),
        payment_id uuid NOT NULL REFERENCES payments(id),
        order_id uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ledger_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        transaction_id uuid NOT NULL REFERENCES ledger_transactions(id),
        account text NOT NULL,
        currency text NOT NULL,
        amount integer NOT NULL CHECK (amount <> 0),
        order_id uuid
      )`);
    await q.query(`CREATE INDEX ledger_entries_account_idx ON ledger_entries (account, currency)`);
    await q.query(`CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (transaction_id)`);
    // The database refuses an unbalanced transaction at commit, whatever code wrote it.
    await q.query(`
      CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (
          SELECT 1 FROM ledger_entries WHERE transaction_id = NEW.transaction_id GROUP BY currency HAVING sum(amount) <> 0
        ) THEN
          RAISE EXCEPTION 'ledger transaction % does not balance', NEW.transaction_id;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()`);
    await q.query(`
      CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger is append-only: correct it with a new transaction';
      END $$`);
    await q.query(`
      CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
    await q.query(`
      CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_entries`);
    await q.query(`DROP TABLE ledger_transactions`);
    await q.query(`DROP FUNCTION ledger_refuse_change()`);
    await q.query(`DROP FUNCTION ledger_check_balanced()`);
    await q.query(`DROP TABLE refunds`);
    await q.query(`DROP TABLE payment_orders`);
    await q.query(`DROP TABLE payments`);
  }
}
