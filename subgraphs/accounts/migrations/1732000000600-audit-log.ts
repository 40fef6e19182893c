import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log (audit-log.ts): one row per audited action of any subgraph, appended in order and
 * chained by hash. The database itself refuses to change or remove a row, so that neither a bug nor
 * a stolen application connection can rewrite history quietly; the hash chain catches whoever goes
 * around the triggers (`npm run audit -- verify`).
 */
export class AuditLog1732000000600 implements MigrationInterface {
  name = 'AuditLog1732000000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id bigint PRIMARY KEY,
        at timestamptz NOT NULL,
        action text NOT NULL,
        actor_id text,
        target_type text NOT NULL,
        target_id text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        ip text,
        request_id text,
        source text NOT NULL,
        event_id uuid NOT NULL UNIQUE,
        previous_hash text,
        hash text NOT NULL
      )`);
    // ids are taken under the append lock, so their order is the chain's order
    await q.query(`CREATE SEQUENCE audit_log_id_seq OWNED BY audit_log.id`);
    await q.query(`CREATE INDEX audit_log_action_idx ON audit_log (action, id)`);
    await q.query(`CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id)`);
    await q.query(`CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id)`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at)`);
    await q.query(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP FUNCTION audit_log_append_only()`);
  }
}
