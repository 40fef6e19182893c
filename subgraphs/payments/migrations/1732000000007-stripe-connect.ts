import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the Stripe Connect adapter keeps: sellers' connected accounts and the webhook events it handled. */
export class StripeConnect1732000000007 implements MigrationInterface {
  name = 'StripeConnect1732000000007';

  async up(q: QueryRunner): Promise<void> {
    // A seller's connected account, which receives their transfers. Filled by hand (or tests) until
    // sellers can onboard through Stripe's account links.
    await q.query(`
      CREATE TABLE seller_accounts (
        seller_id uuid PRIMARY KEY,
        stripe_account_id text NOT NULL CHECK (stripe_account_id ~ '^acct_[A-Za-z0-9]+$'),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Stripe delivers events at least once, with ids of its own (evt_…, not UUIDs: processed_events cannot hold them).
    await q.query(`
      CREATE TABLE stripe_events (
        event_id text PRIMARY KEY,
        type text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Webhooks name the PaymentIntent, not our payment.
    await q.query(`CREATE INDEX payments_provider_ref_idx ON payments (provider_ref)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX payments_provider_ref_idx`);
    await q.query(`DROP TABLE stripe_events`);
    await q.query(`DROP TABLE seller_accounts`);
  }
}
