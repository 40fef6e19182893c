import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reviews you can trust: a review's status (held by a fake-review signal, removed by an operator), the
 * seller's one reply, users' reports, the signals that fired, what reputation knows of accounts' ages,
 * listings' reports as listings announce them, and the operators' moderation queue.
 */
export class ReviewModeration1732000000400 implements MigrationInterface {
  name = 'ReviewModeration1732000000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE reviews
        ADD COLUMN status text NOT NULL DEFAULT 'PUBLISHED' CHECK (status IN ('PUBLISHED', 'HELD', 'REMOVED')),
        ADD COLUMN moderated_at timestamptz(3),
        ADD COLUMN reply_body text,
        ADD COLUMN replied_at timestamptz(3),
        -- what DUPLICATE_TEXT compares: lower case, runs of spaces and punctuation as one space
        ADD COLUMN text_key text GENERATED ALWAYS AS (btrim(regexp_replace(lower(body), '[[:space:][:punct:]]+', ' ', 'g'))) STORED`);
    await q.query(`CREATE INDEX reviews_text_key_idx ON reviews (text_key)`);
    await q.query(`CREATE INDEX reviews_author_idx ON reviews (author_id, created_at)`);

    await q.query(`
      CREATE TABLE review_signals (
        review_id uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
        signal text NOT NULL,
        fired_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (review_id, signal)
      )`);
    await q.query(`
      CREATE TABLE review_reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        review_id uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
        reporter_id uuid NOT NULL,
        reason text NOT NULL,
        details text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT review_reports_once UNIQUE (review_id, reporter_id)
      )`);
    // When each account was made, from accounts' UserRegistered: how new a reviewer is.
    await q.query(`
      CREATE TABLE known_accounts (
        user_id uuid PRIMARY KEY,
        created_at timestamptz(3) NOT NULL
      )`);
    // listings' reports as its ListingReported events tell them, and the listings it has removed since
    await q.query(`
      CREATE TABLE listing_reports (
        id uuid PRIMARY KEY,
        listing_id uuid NOT NULL,
        seller_id uuid NOT NULL,
        reporter_id uuid NOT NULL,
        reason text NOT NULL,
        details text,
        reported_at timestamptz(3) NOT NULL
      )`);
    await q.query(`CREATE INDEX listing_reports_listing_idx ON listing_reports (listing_id)`);
    await q.query(`
      CREATE TABLE removed_listings (
        listing_id uuid PRIMARY KEY,
        removed_at timestamptz(3) NOT NULL
      )`);
    // One open item per review or listing; closed items stay as the record of what was decided.
    await q.query(`
      CREATE TABLE moderation_items (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subject_type text NOT NULL CHECK (subject_type IN ('REVIEW', 'LISTING')),
        subject_id uuid NOT NULL,
        reasons text[] NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        closed_at timestamptz(3),
        decision text,
        closed_by text,
        note text
      )`);
    await q.query(`CREATE UNIQUE INDEX moderation_items_open ON moderation_items (subject_type, subject_id) WHERE closed_at IS NULL`);
    await q.query(`CREATE INDEX moderation_items_queue ON moderation_items (created_at, id) WHERE closed_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE moderation_items`);
    await q.query(`DROP TABLE removed_listings`);
    await q.query(`DROP TABLE listing_reports`);
    await q.query(`DROP TABLE known_accounts`);
    await q.query(`DROP TABLE review_reports`);
    await q.query(`DROP TABLE review_signals`);
    await q.query(`DROP INDEX reviews_author_idx`);
    await q.query(`DROP INDEX reviews_text_key_idx`);
    await q.query(`
      ALTER TABLE reviews DROP COLUMN text_key, DROP COLUMN replied_at, DROP COLUMN reply_body,
        DROP COLUMN moderated_at, DROP COLUMN status`);
  }
}
