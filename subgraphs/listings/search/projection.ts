import type { EntityManager } from 'typeorm';
import { recordEvent } from '../../../lib/events/outbox';
import type { SearchChange } from './cache';
import { DOCUMENT_COLUMNS, SEARCH_SCHEMA, SEARCHABLE, documentSelect } from './read-model';

/** Every column but the key, as an upsert sets them. */
const UPDATED = DOCUMENT_COLUMNS.split(', ')
  .filter((column) => column !== 'listing_id')
  .map((column) => `${column} = EXCLUDED.${column}`)
  .join(', ');

interface DocumentState {
  listing_id: string;
  category_slug: string;
  lexemes: string[];
}

/** What changed in search: the categories and words of the documents that changed, before and after. */
export interface DocumentChanges {
  categories: string[];
  lexemes: string[];
}

/**
 * Brings search's documents of the given listings in line with the listings of record, in the
 * caller's transaction: the change and its effect on search commit together, so search is never
 * behind the primary. A listing that is not ACTIVE, or whose seller is suspended, has no document. Rows that did not change are
 * not written (and so cost no counter deltas, and invalidate nothing).
 */
export async function projectListings(
  manager: EntityManager,
  listingIds: string[],
  priorScore: number,
  schema = SEARCH_SCHEMA,
): Promise<DocumentChanges> {
  if (listingIds.length === 0) return { categories: [], lexemes: [] };
  const before: DocumentState[] = await manager.query(
    `SELECT listing_id, category_slug, tsvector_to_array(terms) AS lexemes FROM ${schema}.documents WHERE listing_id = ANY($1::uuid[])`,
    [listingIds],
  );
  const written: DocumentState[] = await manager.query(
    `INSERT INTO ${schema}.documents (${DOCUMENT_COLUMNS})
     ${documentSelect(schema, '$2::float8')} AND l.id = ANY($1::uuid[])
     ON CONFLICT (listing_id) DO UPDATE SET ${UPDATED}
     WHERE (documents.*) IS DISTINCT FROM (EXCLUDED.*)
     RETURNING listing_id, category_slug, tsvector_to_array(terms) AS lexemes`,
    [listingIds, priorScore],
  );
  const removed: DocumentState[] = await manager.query(
    // as a SELECT, so that the driver answers rows (a bare DELETE answers [rows, count])
    `WITH removed AS (
       DELETE FROM ${schema}.documents d WHERE d.listing_id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM listings l WHERE l.id = d.listing_id AND ${SEARCHABLE})
       RETURNING listing_id, category_slug, tsvector_to_array(terms) AS lexemes
     )
     SELECT * FROM removed`,
    [listingIds],
  );
  const changed = new Set([...written, ...removed].map((doc) => doc.listing_id));
  const states = [...before.filter((doc) => changed.has(doc.listing_id)), ...written, ...removed];
  return {
    categories: [...new Set(states.map((doc) => doc.category_slug))],
    lexemes: [...new Set(states.flatMap((doc) => doc.lexemes))],
  };
}

/** A seller's reputation moved: every document of theirs ranks by the new score. */
export async function projectSeller(manager: EntityManager, sellerId: string, priorScore: number, schema = SEARCH_SCHEMA): Promise<void> {
  await manager.query(
    `UPDATE ${schema}.documents d
     SET seller_score = s.score, quality = ${schema}.quality(d.in_stock, s.score)
     FROM (SELECT coalesce((SELECT score FROM seller_reputation WHERE seller_id = $1), $2::float8) AS score) s
     WHERE d.seller_id = $1 AND d.seller_score IS DISTINCT FROM s.score`,
    [sellerId, priorScore],
  );
}

/** The projection with the subgraph's settings bound, as the writers of listings call it. */
export class SearchProjection {
  constructor(private readonly priorScore: number) {}

  /**
   * Projects changed listings and records ListingChanged, which tells every cache what to forget:
   * the listings themselves, and the searches their documents' changes can alter.
   */
  async listings(manager: EntityManager, listingIds: string[]): Promise<SearchChange> {
    const change = { listingIds, ...(await projectListings(manager, listingIds, this.priorScore)) };
    if (listingIds.length) await recordEvent(manager, 'listings', 'ListingChanged', change);
    return change;
  }

  seller(manager: EntityManager, sellerId: string): Promise<void> {
    return projectSeller(manager, sellerId, this.priorScore);
  }
}
