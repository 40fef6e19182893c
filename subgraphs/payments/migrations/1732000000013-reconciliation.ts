import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation runs and what they found; and the test provider's own records, which it keeps apart
 * from payments' (as Stripe keeps its own), so that the two can be compared.
 */
export class Reconciliation1732000000013 implements MigrationInterface {
  name = 'Reconciliation1732000000013';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconciliation_runs (
        id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED')),
        started_by text NOT NULL,
        window_from timestamptz NOT NULL,
        started_at timestamptz(3) NOT NULL DEFAULT now(),
        finished_at timestamptz(3),
        checked integer NOT NULL DEFAULT 0,
        error text
      )`);
    // one run at a time across every instance: a second asks for the one running
    await q.query(`CREATE UNIQUE INDEX reconciliation_runs_one_running_idx ON reconciliation_runs ((true)) WHERE status = 'RUNNING'`);
    await q.query(`CREATE INDEX reconciliation_runs_started_idx ON reconciliation_runs (started_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE reconciliation_discrepancies (
        run_id uuid NOT NULL REFERENCES reconciliation_runs (id) ON DELETE CASCADE,
        position integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('MISSING_AT_PROVIDER', 'MISSING_HERE', 'AMOUNT_MISMATCH', 'STATUS_MISMATCH')),
        reference text NOT NULL,
        expected text,
        actual text,
        PRIMARY KEY (run_id, position)
      )`);
    await q.query(`
      CREATE TABLE test_provider_records (
        reference text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('payment', 'refund', 'transfer')),
        our_id text,
        amount integer NOT NULL,
        currency text NOT NULL,
        state text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE test_provider_records`);
    await q.query(`DROP TABLE reconciliation_discrepancies`);
    await q.query(`DROP TABLE reconciliation_runs`);
  }
}
