import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditedAction } from '../../lib/audit/record';
import { brokenLink, chainHash, type ChainedFields } from '../../lib/audit/chain';
import type { EventPayloads } from '../../lib/events/catalog';
import type { EventEnvelope } from '../../lib/events/types';

/**
 * The audit log's storage: accounts keeps it, as it owns the people (users, roles, operators) whose
 * actions it records. Every subgraph's audited action reaches it as an AuditRecorded event
 * (lib/audit/record.ts); the accounts consumer appends it here, once per event id.
 */

/** One entry as stored. */
export interface AuditLogEntry extends ChainedFields {
  hash: string;
}

/** Appends wait for each other on this lock (transaction-scoped), so that two instances never fork the chain. */
const APPEND_LOCK = `SELECT pg_advisory_xact_lock(hashtext('audit_log'))`;

type Row = {
  id: string;
  at: Date;
  action: string;
  actor_id: string | null;
  target_type: string;
  target_id: string;
  details: Record<string, unknown>;
  ip: string | null;
  request_id: string | null;
  source: string;
  event_id: string;
  previous_hash: string | null;
  hash: string;
};

export const AUDIT_COLUMNS = `id::text AS id, at, action, actor_id, target_type, target_id, details, ip, request_id, source, event_id, previous_hash, hash`;

export function entryOf(row: Row): AuditLogEntry {
  return {
    id: row.id,
    at: new Date(row.at),
    action: row.action,
    actorId: row.actor_id,
    targetType: row.target_type,
    targetId: row.target_id,
    details: row.details ?? {},
    ip: row.ip,
    requestId: row.request_id,
    source: row.source,
    eventId: row.event_id,
    previousHash: row.previous_hash,
    hash: row.hash,
  };
}

/** What an append needs: the action as recorded, where and when, and the event that carried it. */
export type AuditAppend = EventPayloads['AuditRecorded'] & { source: string; eventId: string };

/**
 * Appends one entry at the end of the chain, in the caller's transaction. Returns false when the
 * event had been appended already (a duplicate delivery appends once).
 */
export async function appendAudit(manager: EntityManager, entry: AuditAppend): Promise<boolean> {
  await manager.query(APPEND_LOCK);
  const [seen]: unknown[] = await manager.query(`SELECT 1 FROM audit_log WHERE event_id = $1`, [entry.eventId]);
  if (seen) return false;
  const [last]: { hash: string }[] = await manager.query(`SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`);
  const [{ id }]: { id: string }[] = await manager.query(`SELECT nextval('audit_log_id_seq')::text AS id`);
  const at = new Date(entry.at);
  const fields: ChainedFields = {
    id,
    // an event whose time cannot be read is still appended, at the time it arrived
    at: Number.isNaN(at.getTime()) ? new Date() : at,
    action: entry.action,
    actorId: entry.actorId,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details: entry.details ?? {},
    ip: entry.ip,
    requestId: entry.requestId,
    source: entry.source,
    eventId: entry.eventId,
    previousHash: last?.hash ?? null,
  };
  const hash = chainHash(fields);
  await manager.query(
    `INSERT INTO audit_log (id, at, action, actor_id, target_type, target_id, details, ip, request_id, source, event_id, previous_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      fields.id,
      fields.at.toISOString(),
      fields.action,
      fields.actorId,
      fields.targetType,
      fields.targetId,
      JSON.stringify(fields.details),
      fields.ip,
      fields.requestId,
      fields.source,
      fields.eventId,
      fields.previousHash,
      hash,
    ],
  );
  return true;
}

/** The AuditRecorded event of any subgraph (accounts' own among them), appended once. */
export function appendAuditEvent(manager: EntityManager, event: EventEnvelope<'AuditRecorded', EventPayloads['AuditRecorded']>): Promise<boolean> {
  return appendAudit(manager, { ...event.payload, source: event.source, eventId: event.id });
}

/**
 * For actions with no request and no outbox of their own to wait for (the command line): appended
 * directly, in the action's own transaction.
 */
export function appendAuditNow(manager: EntityManager, source: string, action: AuditedAction): Promise<boolean> {
  return appendAudit(manager, {
    ...action,
    details: action.details ?? {},
    at: new Date().toISOString(),
    ip: null,
    requestId: null,
    source,
    eventId: randomUUID(),
  });
}

/** The first broken link of the chain, or null when every entry holds. */
export interface ChainReport {
  checked: number;
  broken: { id: string; problem: string } | null;
  /**
   * The last entry that holds. A chain cannot show that entries were cut from its end: keeping this
   * somewhere else (a ticket, a notarised file) and checking that a later run still passes it does.
   */
  head: { id: string; hash: string } | null;
}

/** Walks the whole chain in id order, a page at a time, recomputing every hash. */
export async function verifyChain(db: DataSource | EntityManager, pageSize = 1000): Promise<ChainReport> {
  let previous: AuditLogEntry | null = null;
  let checked = 0;
  for (;;) {
    const rows: Row[] = await db.query(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE id > $1 ORDER BY audit_log.id LIMIT $2`, [previous?.id ?? '0', pageSize]);
    for (const row of rows) {
      const entry = entryOf(row);
      const problem = brokenLink(entry, previous);
      if (problem) return { checked, broken: { id: entry.id, problem }, head: previous && { id: previous.id, hash: previous.hash } };
      checked += 1;
      previous = entry;
    }
    if (rows.length < pageSize) return { checked, broken: null, head: previous && { id: previous.id, hash: previous.hash } };
  }
}
