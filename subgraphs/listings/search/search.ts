import { createHash } from 'node:crypto';
import { In, type DataSource } from 'typeorm';
import { badInput } from '../../../lib/errors';
import { isUuid } from '../../../lib/ids';
import { decodeCursor, encodeCursor, pageSize } from '../../../lib/pagination';
import { ListingEntity } from '../entities';
import { searchCounts } from './counts';
import { ORDERS, TIERS, orderedPage, relevancePage, type Hit, type KeyType } from './page';
import type { AnalyzedText, SearchArgs, SearchCounts, SearchResult, SearchSort } from './types';

/** Bounds the work one query string can cause in the text parser. */
export const MAX_QUERY = 200;

/** How a key read back from a cursor must look before PostgreSQL is asked to cast it. */
const KEY_SHAPES: Record<KeyType | 'tier', (value: unknown) => boolean> = {
  timestamptz: (value) =>
    typeof value === 'string' && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value,
  integer: (value) => Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1,
  float8: (value) => typeof value === 'number' && Number.isFinite(value),
  tier: (value) => (TIERS as readonly unknown[]).includes(value),
};

/**
 * The keyset position a cursor carries: the sort keys, then the id. Anything else is a forged or
 * foreign cursor, refused before it reaches SQL.
 */
function decodePosition(kind: string, after: string | null | undefined, shapes: (KeyType | 'tier')[]): unknown[] | undefined {
  const position = decodeCursor(kind, after);
  if (!position) return undefined;
  const id = position.at(-1);
  const keys = position.slice(0, -1);
  if (keys.length !== shapes.length || !keys.every((key, i) => KEY_SHAPES[shapes[i]](key)) || typeof id !== 'string' || !isUuid(id)) {
    throw badInput('after is not a cursor of this list', 'after');
  }
  return position;
}

/** Rank means nothing without a query, so RELEVANCE then falls back to NEWEST. */
function effectiveSort(sort: SearchSort | null | undefined, text: string): SearchSort {
  if (!sort) return text ? 'RELEVANCE' : 'NEWEST';
  return sort === 'RELEVANCE' && !text ? 'NEWEST' : sort;
}

/** Positions are only comparable within one sort of one query; the kind tags cursors with both. */
function cursorKind(sort: SearchSort, text: string): string {
  return `listings:${sort}:${createHash('sha256').update(text).digest('base64url').slice(0, 12)}`;
}

export interface SearchSettings {
  /** Counts are exact up to this many matches and a lower bound above (when no counter answers). */
  exactCountLimit: number;
}

/**
 * Search over the read model (`read-model.ts`). Reads go to `reader`: the primary, or a streaming
 * replica when one is configured.
 */
export class ListingSearch {
  constructor(
    private readonly reader: DataSource,
    private readonly settings: SearchSettings,
  ) {}

  /** How PostgreSQL's parser reads the query: whether it has words at all, and whether it is one word. */
  private async analyze(text: string): Promise<AnalyzedText> {
    const [row]: { nodes: number; lexemes: string[] }[] = await this.reader.query(
      `SELECT numnode(q) AS nodes, tsvector_to_array(to_tsvector('english', $1)) AS lexemes
       FROM websearch_to_tsquery('english', $1) AS q`,
      [text],
    );
    return { text, empty: row.nodes === 0, singleLexeme: row.nodes === 1 && row.lexemes.length === 1 ? row.lexemes[0] : null };
  }

  async search(args: SearchArgs): Promise<SearchResult> {
    const query = (args.query ?? '').trim();
    if (query.length > MAX_QUERY) throw badInput(`query must be at most ${MAX_QUERY} characters`, 'query');
    const filter = args.filter ?? {};
    const sort = effectiveSort(args.sort, query);
    const size = pageSize(args.first);
    const kind = cursorKind(sort, query);
    const text = query ? await this.analyze(query) : null;

    let hits: Hit[] = [];
    if (!text?.empty) {
      if (sort === 'RELEVANCE') {
        const after = decodePosition(kind, args.after, ['tier', 'float8']) as [number, number, string] | undefined;
        hits = await relevancePage(this.reader, text!, filter, after, size + 1);
      } else {
        const order = ORDERS[sort];
        const after = decodePosition(kind, args.after, [order.type]) as [unknown, string] | undefined;
        hits = await orderedPage(this.reader, text, filter, order, after, size + 1);
      }
    }
    const page = hits.slice(0, size);
    const rows = page.length ? await this.reader.getRepository(ListingEntity).findBy({ id: In(page.map((hit) => hit.id)) }) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    const edges = page.flatMap((hit) => {
      const node = byId.get(hit.id);
      return node ? [{ cursor: encodeCursor(kind, hit.position), node }] : [];
    });
    let counted: Promise<SearchCounts> | undefined;
    return {
      edges,
      pageInfo: { hasNextPage: hits.length > size, endCursor: edges.at(-1)?.cursor ?? null },
      counts: () => (counted ??= searchCounts(this.reader, text, filter, this.settings.exactCountLimit)),
    };
  }
}
