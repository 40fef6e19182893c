import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trust and safety in listings: REMOVED (taken down by operators, for good), users' reports of
 * listings (one per user and listing), and each seller's standing as accounts announces it, which
 * search and checkout consult (a suspended seller's listings are neither found nor sold).
 */
export class TrustAndSafety1732000000510 implements MigrationInterface {
  name = 'TrustAndSafety1732000000510';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE listings DROP CONSTRAINT listings_status_check`);
    await q.query(`ALTER TABLE listings ADD CONSTRAINT listings_status_check CHECK (status IN ('DRAFT', 'ACTIVE', 'ARCHIVED', 'REMOVED'))`);
    await q.query(`
      CREATE TABLE listing_reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        listing_id uuid NOT NULL REFERENCES listings(id),
        reporter_id uuid NOT NULL,
        reason text NOT NULL
          CHECK (reason IN ('SPAM', 'FAKE', 'OFFENSIVE', 'PROHIBITED', 'COUNTERFEIT', 'MISLEADING', 'OTHER')),
        details text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (listing_id, reporter_id)
      )`);
    // reporters are erased with their accounts
    await q.query(`CREATE INDEX listing_reports_reporter_idx ON listing_reports (reporter_id)`);
    // changed_at is the event's time: an older event than the row's changes nothing, whatever the delivery order
    await q.query(`
      CREATE TABLE seller_standing (
        seller_id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED')),
        changed_at timestamptz NOT NULL,
        -- when this subgraph applied it: a search rebuild catches up with what changed while it copied
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE seller_standing`);
    await q.query(`DROP TABLE listing_reports`);
    await q.query(`UPDATE listings SET status = 'ARCHIVED' WHERE status = 'REMOVED'`);
    await q.query(`ALTER TABLE listings DROP CONSTRAINT listings_status_check`);
    await q.query(`ALTER TABLE listings ADD CONSTRAINT listings_status_check CHECK (status IN ('DRAFT', 'ACTIVE', 'ARCHIVED'))`);
  }
}
