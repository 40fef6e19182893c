import type { EntityManager } from 'typeorm';
import { DOCUMENT_COLUMNS, SEARCH_SCHEMA, documentSelect } from './read-model';

/** Every column but the key, as an upsert sets them. */
const UPDATED = DOCUMENT_COLUMNS.split(', ')
  .filter((column) => column !== 'listing_id')
  .map((column) => `${column} = EXCLUDED.${column}`)
  .join(', ');

/**
 * Brings search's documents of the given listings in line with the listings of record, in the
 * caller's transaction: the change and its effect on search commit together, so search is never
 * behind the primary. A listing that is not ACTIVE has no document. Rows that did not change are
 * not written (and so cost no counter deltas).
 */
export async function projectListings(
  manager: EntityManager,
  listingIds: string[],
  priorScore: number,
  schema = SEARCH_SCHEMA,
): Promise<void> {
  if (listingIds.length === 0) return;
  await manager.query(
    `INSERT INTO ${schema}.documents (${DOCUMENT_COLUMNS})
     ${documentSelect(schema, '$2::float8')} AND l.id = ANY($1::uuid[])
     ON CONFLICT (listing_id) DO UPDATE SET ${UPDATED}
     WHERE (documents.*) IS DISTINCT FROM (EXCLUDED.*)`,
    [listingIds, priorScore],
  );
  await manager.query(
    `DELETE FROM ${schema}.documents d WHERE d.listing_id = ANY($1::uuid[])
       AND NOT EXISTS (SELECT 1 FROM listings l WHERE l.id = d.listing_id AND l.status = 'ACTIVE')`,
    [listingIds],
  );
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

  listings(manager: EntityManager, listingIds: string[]): Promise<void> {
    return projectListings(manager, listingIds, this.priorScore);
  }

  seller(manager: EntityManager, sellerId: string): Promise<void> {
    return projectSeller(manager, sellerId, this.priorScore);
  }
}
