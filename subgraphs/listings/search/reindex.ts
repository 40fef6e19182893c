import type { DataSource } from 'typeorm';
import { recordEvent } from '../../../lib/events/outbox';
import type { CommonWordRule } from './pair-counts';
import { projectListings, projectSeller } from './projection';
import {
  DOCUMENT_COLUMNS,
  SEARCH_SCHEMA,
  countFromScratch,
  createCountingFunction,
  createCountingTrigger,
  createReadModelIndexes,
  createReadModelTables,
  documentSelect,
  SEARCHABLE,
} from './read-model';

const NEXT = `${SEARCH_SCHEMA}_next`;
const OLD = `${SEARCH_SCHEMA}_old`;
/** Changes committed by transactions older than this when the copy began may be missed by it; the catch-up re-reads them. */
const CATCH_UP_MARGIN = '5 minutes';

export interface ReindexProgress {
  phase: 'copy' | 'count' | 'index' | 'swap' | 'done';
  documents: number;
  /** ACTIVE listings when the copy began: what `documents` grows towards. */
  expected: number;
}

export interface ReindexOptions {
  priorScore: number;
  /** Which words' pairs are counted, chosen afresh (the default rule when unset). */
  commonWords?: CommonWordRule;
  /** Listings copied per statement (and per progress report). */
  batchSize?: number;
  onProgress?: (progress: ReindexProgress) => void;
}

/**
 * Rebuilds every search structure from the listings of record: a complete second read model is
 * built beside the live one (documents copied in batches, then counted and indexed in one pass each,
 * far cheaper than row by row), changes made meanwhile are caught up, and the two are swapped in one
 * schema rename. Searches keep answering from the live copy all along; writers wait only for the
 * catch-up and the swap. How an operator recovers, applies a ranking change, or makes listings loaded
 * in bulk straight into the listings table searchable.
 */
export async function reindexSearch(db: DataSource, options: ReindexOptions): Promise<{ documents: number }> {
  const batchSize = options.batchSize ?? 20_000;
  const report = (progress: ReindexProgress) => options.onProgress?.(progress);
  await db.query(`DROP SCHEMA IF EXISTS ${NEXT} CASCADE`);
  await db.query(`DROP SCHEMA IF EXISTS ${OLD} CASCADE`);
  await db.transaction((manager) => createReadModelTables(manager, NEXT));
  const [{ started, expected }]: { started: Date; expected: string }[] = await db.query(
    `SELECT now() AS started, (SELECT count(*) FROM listings l WHERE ${SEARCHABLE}) AS expected`,
  );
  const total = Number(expected);
  let documents = 0;
  let last = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const [batch]: { copied: string; last: string | null }[] = await db.query(
      `WITH copied AS (
         INSERT INTO ${NEXT}.documents (${DOCUMENT_COLUMNS})
         ${documentSelect(NEXT, '$3::float8')} AND l.id > $1::uuid ORDER BY l.id LIMIT $2
         RETURNING listing_id
       )
       SELECT count(*) AS copied, max(listing_id::text) AS last FROM copied`,
      [last, batchSize, options.priorScore],
    );
    if (!batch.last) break;
    documents += Number(batch.copied);
    last = batch.last;
    report({ phase: 'copy', documents, expected: total });
  }
  report({ phase: 'count', documents, expected: total });
  await db.transaction((manager) => countFromScratch(manager, NEXT, options.commonWords));
  report({ phase: 'index', documents, expected: total });
  await createReadModelIndexes(db.manager, NEXT);
  await createCountingTrigger(db.manager, NEXT);
  await db.query(`ANALYZE ${NEXT}.documents`);
  report({ phase: 'swap', documents, expected: total });
  await db.transaction(async (manager) => {
    // writers of the live copy wait here until the swap; readers go on
    await manager.query(`LOCK TABLE ${SEARCH_SCHEMA}.documents IN SHARE ROW EXCLUSIVE MODE`);
    // listings changed meanwhile, and those of sellers suspended or reinstated meanwhile
    const changed: { id: string }[] = await manager.query(
      `SELECT id FROM listings WHERE updated_at >= $1::timestamptz - interval '${CATCH_UP_MARGIN}'
       UNION
       SELECT l.id FROM listings l JOIN seller_standing s ON s.seller_id = l.seller_id
       WHERE s.updated_at >= $1::timestamptz - interval '${CATCH_UP_MARGIN}'`,
      [started],
    );
    for (let i = 0; i < changed.length; i += batchSize) {
      await projectListings(manager, changed.slice(i, i + batchSize).map((row) => row.id), options.priorScore, NEXT);
    }
    const sellers: { seller_id: string }[] = await manager.query(
      `SELECT seller_id FROM seller_reputation WHERE updated_at >= $1::timestamptz - interval '${CATCH_UP_MARGIN}'`,
      [started],
    );
    for (const { seller_id } of sellers) await projectSeller(manager, seller_id, options.priorScore, NEXT);
    await manager.query(`ALTER SCHEMA ${SEARCH_SCHEMA} RENAME TO ${OLD}`);
    await manager.query(`ALTER SCHEMA ${NEXT} RENAME TO ${SEARCH_SCHEMA}`);
    await createCountingFunction(manager, SEARCH_SCHEMA);
    // every cached search may rank differently now: listings instances forget them all on this event
    await recordEvent(manager, 'listings', 'SearchRebuilt', { documents });
  });
  await db.query(`DROP SCHEMA ${OLD} CASCADE`);
  const [{ count }]: { count: string }[] = await db.query(`SELECT count(*) AS count FROM ${SEARCH_SCHEMA}.documents`);
  report({ phase: 'done', documents: Number(count), expected: total });
  return { documents: Number(count) };
}
