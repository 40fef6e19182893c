import type { DataSource } from 'typeorm';
import { requireOperator } from '../../lib/auth/operators';
import type { Viewer } from '../../lib/auth/viewer';
import { badInput } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '../../lib/pagination';
import { given } from '../../lib/validation';
import { AUDIT_COLUMNS, entryOf, type AuditLogEntry } from './audit-log';

/** What operators may narrow the log by; every field optional, all of them together. */
export interface AuditFilter {
  action?: string | null;
  actorId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** `seller.suspended`, `two_factor.enabled`: lower-case words joined by dots. */
const ACTION = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/;
const TARGET_TYPE = /^[a-z][a-z_]*$/;
const CURSOR_KIND = 'audit';

/** The audit log as operators read it: newest first, filtered, in keyset pages of the sequence id. */
export class AuditLogQueries {
  constructor(private readonly db: DataSource) {}

  async page(viewer: Viewer, filter: AuditFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<Connection<AuditLogEntry>> {
    requireOperator(viewer);
    const size = pageSize(first);
    const before = afterId(after);
    const { where, params } = conditions(filter ?? {});
    const paged = before ? [...where, `id < $${params.length + 1}`] : where;
    const clause = (parts: string[]) => (parts.length ? `WHERE ${parts.join(' AND ')}` : '');
    const [rows, [{ n }]] = await Promise.all([
      this.db.query(`SELECT ${AUDIT_COLUMNS} FROM audit_log ${clause(paged)} ORDER BY audit_log.id DESC LIMIT ${size + 1}`, before ? [...params, before] : params),
      this.db.query(`SELECT count(*)::int AS n FROM audit_log ${clause(where)}`, params) as Promise<{ n: number }[]>,
    ]);
    return toConnection((rows as Parameters<typeof entryOf>[0][]).map(entryOf), size, n, (entry) => encodeCursor(CURSOR_KIND, [entry.id]));
  }
}

/** The sequence id a cursor points at; anything but this list's cursor is the client's mistake. */
function afterId(after: string | null | undefined): string | null {
  const position = decodeCursor(CURSOR_KIND, after);
  if (!position) return null;
  const [id] = position;
  if (typeof id !== 'string' || !/^[1-9]\d{0,17}$/.test(id)) throw badInput('after is not a cursor of this list', 'after');
  return id;
}

/** The filter as SQL conditions; a filter that cannot match anything sensible is refused, not answered empty. */
function conditions(filter: AuditFilter): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (given(filter.action)) {
    if (!ACTION.test(filter.action)) throw badInput('action must be a dotted name such as seller.suspended', 'filter.action');
    add((p) => `action = ${p}`, filter.action);
  }
  if (given(filter.actorId)) {
    if (!isUuid(filter.actorId)) throw badInput('actorId must be a user id', 'filter.actorId');
    add((p) => `actor_id = ${p}`, filter.actorId.toLowerCase());
  }
  if (given(filter.targetType)) {
    if (!TARGET_TYPE.test(filter.targetType)) throw badInput('targetType must be a lower-case name such as seller or dispute', 'filter.targetType');
    add((p) => `target_type = ${p}`, filter.targetType);
  }
  if (given(filter.targetId)) {
    if (filter.targetId.trim() === '') throw badInput('targetId must not be empty', 'filter.targetId');
    add((p) => `target_id = ${p}`, filter.targetId);
  }
  if (given(filter.from) && given(filter.to) && filter.from.getTime() > filter.to.getTime()) {
    throw badInput('from must not be after to', 'filter.from');
  }
  if (given(filter.from)) add((p) => `at >= ${p}`, filter.from.toISOString());
  if (given(filter.to)) add((p) => `at <= ${p}`, filter.to.toISOString());
  return { where, params };
}
