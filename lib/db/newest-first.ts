import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageSize, toConnection, type Connection } from '../pagination';

/**
 * One page of rows newest first, by keyset on (created_at, id): stable while rows are added, and
 * as fast on page 100 as on page 1. `rows()` builds the filtered query afresh for the page and for
 * the count; `kind` tags cursors so that one list's cursor is refused by another.
 */
export async function newestFirst<T extends ObjectLiteral & { id: string; createdAt: Date }>(
  rows: () => SelectQueryBuilder<T>,
  kind: string,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Connection<T>> {
  const size = pageSize(first);
  const position = decodeTimeIdCursor(kind, after);
  const page = rows();
  const alias = page.alias;
  if (position) {
    page.andWhere(`(${alias}.created_at, ${alias}.id) < (CAST(:afterAt AS timestamptz), CAST(:afterId AS uuid))`, { afterAt: position.createdAt, afterId: position.id });
  }
  const [found, total] = await Promise.all([
    page.orderBy(`${alias}.created_at`, 'DESC').addOrderBy(`${alias}.id`, 'DESC').limit(size + 1).getMany(),
    rows().getCount(),
  ]);
  return toConnection(found, size, total, (row) => encodeTimeIdCursor(kind, row));
}
