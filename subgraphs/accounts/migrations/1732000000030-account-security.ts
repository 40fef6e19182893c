import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account security: verified email, two-factor (TOTP and recovery codes), sessions with rotating
 * refresh tokens, one-time links (email verification, password reset), and erased accounts.
 * Secrets that a person holds (refresh tokens, link tokens, recovery codes) are kept as SHA-256
 * digests only: they are long and random, so a digest is enough, and a copy of the table opens nothing.
 */
export class AccountSecurity1732000000030 implements MigrationInterface {
  name = 'AccountSecurity1732000000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users
        ADD COLUMN email_verified_at timestamptz,
        ADD COLUMN two_factor_secret text,
        ADD COLUMN two_factor_enabled_at timestamptz,
        ADD COLUMN two_factor_last_step bigint,
        ADD COLUMN deleted_at timestamptz`);
    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        -- opened with a one-time code: its tokens carry it (operators need it)
        two_factor boolean NOT NULL DEFAULT false,
        ended_at timestamptz,
        ended_why text
      )`);
    await q.query(`CREATE INDEX sessions_open_of_user ON sessions (user_id) WHERE ended_at IS NULL`);
    await q.query(`
      CREATE TABLE refresh_tokens (
        token_hash text PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await q.query(`CREATE INDEX refresh_tokens_of_session ON refresh_tokens (session_id)`);
    await q.query(`
      CREATE TABLE one_time_tokens (
        token_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose text NOT NULL CHECK (purpose IN ('verify-email', 'reset-password')),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await q.query(`CREATE INDEX one_time_tokens_of_user ON one_time_tokens (user_id, purpose, created_at)`);
    await q.query(`
      CREATE TABLE recovery_codes (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash text NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (user_id, code_hash)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE recovery_codes, one_time_tokens, refresh_tokens, sessions`);
    await q.query(`
      ALTER TABLE users DROP COLUMN email_verified_at, DROP COLUMN two_factor_secret, DROP COLUMN two_factor_enabled_at,
        DROP COLUMN two_factor_last_step, DROP COLUMN deleted_at`);
  }
}
