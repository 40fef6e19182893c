import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageSize, toConnection, type Connection } from '../pagination';

type TimeOrdered = ObjectLiteral & { id: string; createdAt: Date };
type Rows<T extends TimeOrdered> = () => SelectQueryBuilder<T>;

/**
 * One page of rows newest first, by keyset on (created_at, id): stable while rows are added, and
 * as fast on page 100 as on page 1. `rows()` builds the filtered query afresh for the page and for
 * the count; `kind` tags cursors so that one list's cursor is refused by another.
 */
export function newestFirst<T extends TimeOrdered>(rows: Rows<T>, kind: string, first: number | null | undefined, after: string | null | undefined) {
  return timeOrderedPage(rows, kind, first, after, 'DESC');
}

/** The same, oldest first (a conversation reads from its start). */
export function oldestFirst<T extends TimeOrdered>(rows: Rows<T>, kind: string, first: number | null | undefined, after: string | null | undefined) {
  return timeOrderedPage(rows, kind, first, after, 'ASC');
}

async function timeOrderedPage<T extends TimeOrdered>(
  rows: Rows<T>,
  kind: string,
  first: number | null | undefined,
  after: string | null | undefined,
  direction: 'ASC' | 'DESC',
): Promise<Connection<T>> {
  const size = pageSize(first);
  const position = decodeTimeIdCursor(kind, after);
  const page = rows();
  const alias = page.alias;
  if (position) {
    const beyond = direction === 'DESC' ? '<' : '>';
    page.andWhere(`(${alias}.created_at, ${alias}.id) ${beyond} (CAST(:afterAt AS timestamptz), CAST(:afterId AS uuid))`, {
      afterAt: position.createdAt,
      afterId: position.id,
    });
  }
  const [found, total] = await Promise.all([
    page.orderBy(`${alias}.created_at`, direction).addOrderBy(`${alias}.id`, direction).limit(size + 1).getMany(),
    rows().getCount(),
  ]);
  return toConnection(found, size, total, (row) => encodeTimeIdCursor(kind, row));
}
