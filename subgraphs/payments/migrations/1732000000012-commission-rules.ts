import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Commission rules in the database, versioned by effective_from: a rule set is never changed; a new
 * one applies to orders created from its effective_from on. Each order keeps the rate it was created
 * with (rate_bps), and its shipping, on which no commission is taken.
 */
export class CommissionRules1732000000012 implements MigrationInterface {
  name = 'CommissionRules1732000000012';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE commission_rule_sets (
        id uuid PRIMARY KEY,
        effective_from timestamptz NOT NULL CONSTRAINT commission_rule_sets_effective_from_key UNIQUE,
        default_rate_bps integer NOT NULL CHECK (default_rate_bps BETWEEN 0 AND 10000),
        -- who set it: an operator's user id, or 'environment' for the first rules, seeded from PLATFORM_FEE_*
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE commission_category_rates (
        rule_set_id uuid NOT NULL REFERENCES commission_rule_sets (id) ON DELETE CASCADE,
        category_slug text NOT NULL,
        rate_bps integer NOT NULL CHECK (rate_bps BETWEEN 0 AND 10000),
        PRIMARY KEY (rule_set_id, category_slug)
      )`);
    await q.query(`
      CREATE TABLE commission_tiers (
        rule_set_id uuid NOT NULL REFERENCES commission_rule_sets (id) ON DELETE CASCADE,
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        from_amount integer NOT NULL CHECK (from_amount >= 0),
        rate_bps integer NOT NULL CHECK (rate_bps BETWEEN 0 AND 10000),
        PRIMARY KEY (rule_set_id, currency, from_amount)
      )`);
    await q.query(`ALTER TABLE payment_orders ADD COLUMN shipping integer NOT NULL DEFAULT 0 CHECK (shipping >= 0 AND shipping <= amount)`);
    await q.query(`ALTER TABLE payment_orders ADD COLUMN rate_bps integer CHECK (rate_bps BETWEEN 0 AND 10000)`);
    // orders made before: the rate their fee amounts to (shipping was not told apart then)
    await q.query(`UPDATE payment_orders SET rate_bps = round(platform_fee * 10000.0 / amount)::int`);
    await q.query(`ALTER TABLE payment_orders ALTER COLUMN rate_bps SET NOT NULL`);
    // a seller's sales over the last 30 days, for volume tiers
    await q.query(`CREATE INDEX payment_orders_seller_released_idx ON payment_orders (seller_id, released_at) WHERE released_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX payment_orders_seller_released_idx`);
    await q.query(`ALTER TABLE payment_orders DROP COLUMN rate_bps, DROP COLUMN shipping`);
    await q.query(`DROP TABLE commission_tiers`);
    await q.query(`DROP TABLE commission_category_rates`);
    await q.query(`DROP TABLE commission_rule_sets`);
  }
}
