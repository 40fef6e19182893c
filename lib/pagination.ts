import { badInput } from './errors';
import { isUuid } from './ids';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Page size as clients ask for it, capped; a negative size is a client mistake. */
export function pageSize(first: number | null | undefined, max = MAX_PAGE_SIZE): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0) throw badInput('first must be a non-negative integer', 'first');
  return Math.min(first, max);
}

/**
 * Cursors are opaque to clients: base64url of the keyset position, tagged with what they page
 * through so that a cursor of one list is refused by another.
 */
export function encodeCursor(kind: string, position: unknown[]): string {
  return Buffer.from(JSON.stringify([kind, ...position])).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | null | undefined): unknown[] | undefined {
  if (cursor === null || cursor === undefined || cursor === '') return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded[0] === kind) return decoded.slice(1);
  } catch {
    // fall through to the client error below
  }
  throw badInput('after is not a cursor of this list', 'after');
}

/**
 * The position of a list ordered by (time, id), the commonest keyset: only an exact ISO instant and
 * a UUID reach SQL from a client's cursor; null without one.
 */
export function decodeTimeIdCursor(kind: string, cursor: string | null | undefined): { createdAt: string; id: string } | null {
  const position = decodeCursor(kind, cursor);
  if (!position) return null;
  const [createdAt, id] = position;
  const exact = typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && new Date(createdAt).toISOString() === createdAt;
  if (!exact || typeof id !== 'string' || !isUuid(id)) throw badInput('after is not a cursor of this list', 'after');
  return { createdAt, id };
}

export const encodeTimeIdCursor = (kind: string, row: { createdAt: Date; id: string }) => encodeCursor(kind, [row.createdAt.toISOString(), row.id]);

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  totalCount: number;
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Builds a connection from one row more than the page size, which tells whether a next page exists. */
export function toConnection<T>(
  rows: T[],
  size: number,
  totalCount: number,
  cursorOf: (row: T) => string,
): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    totalCount,
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
  };
}
