import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sellers onboard for payouts themselves: a connected account per seller with the provider's view of
 * it (status, requirements), and the test provider's one-time onboarding links.
 */
export class PayoutAccounts1732000000010 implements MigrationInterface {
  name = 'PayoutAccounts1732000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE seller_accounts RENAME COLUMN stripe_account_id TO account_ref`);
    // accounts linked by hand before onboarding existed were being paid: they stay ENABLED
    await q.query(`
      ALTER TABLE seller_accounts
        ADD COLUMN provider text NOT NULL DEFAULT 'stripe',
        ADD COLUMN status text NOT NULL DEFAULT 'ENABLED' CHECK (status IN ('NOT_STARTED', 'PENDING', 'ENABLED', 'RESTRICTED')),
        ADD COLUMN payouts_enabled boolean NOT NULL DEFAULT true,
        ADD COLUMN requirements text[] NOT NULL DEFAULT '{}',
        ADD COLUMN provider_state_at timestamptz,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`
      ALTER TABLE seller_accounts
        ALTER COLUMN provider DROP DEFAULT,
        ALTER COLUMN status SET DEFAULT 'NOT_STARTED',
        ALTER COLUMN payouts_enabled SET DEFAULT false`);
    // one connected account is one seller's: a webhook names the account, and finds its seller here
    await q.query(`CREATE UNIQUE INDEX seller_accounts_account_ref_idx ON seller_accounts (provider, account_ref)`);
    // Test provider only: Stripe keeps its own account links. The token is kept hashed, as a password is.
    await q.query(`
      CREATE TABLE payout_onboarding_links (
        token_hash text PRIMARY KEY,
        seller_id uuid NOT NULL REFERENCES seller_accounts (seller_id),
        return_url text NOT NULL,
        refresh_url text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payout_onboarding_links`);
    await q.query(`DROP INDEX seller_accounts_account_ref_idx`);
    await q.query(`
      ALTER TABLE seller_accounts
        DROP COLUMN provider, DROP COLUMN status, DROP COLUMN payouts_enabled, DROP COLUMN requirements,
        DROP COLUMN provider_state_at, DROP COLUMN updated_at`);
    await q.query(`ALTER TABLE seller_accounts RENAME COLUMN account_ref TO stripe_account_id`);
  }
}
