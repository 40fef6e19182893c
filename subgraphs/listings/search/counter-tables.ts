import type { EntityManager, QueryRunner } from 'typeorm';

export type Queryable = QueryRunner | EntityManager;

/**
 * A counter table: a count per key, written as signed deltas (`delta`) that compaction folds into one
 * total per key; readers sum totals and deltas alike. Writers append, so they never wait on each
 * other for a hot key.
 */
export interface Counter {
  table: string;
  /** The key's columns and their types. */
  keys: [column: string, type: string][];
}

/** Documents per category, price bucket and stock state. */
export const FACET_COUNTS: Counter = { table: 'facet_counts', keys: [['category_slug', 'text'], ['price_bucket', 'smallint'], ['in_stock', 'boolean']] };
/** Documents per word and category. */
export const TERM_COUNTS: Counter = { table: 'term_counts', keys: [['lexeme', 'text'], ['category_slug', 'text']] };
/** Documents per category and stock state: facet_counts summed over prices. */
export const CATEGORY_COUNTS: Counter = { table: 'category_counts', keys: [['category_slug', 'text'], ['in_stock', 'boolean']] };
/** Documents per pair of common words (first < second) and category (see pair-counts.ts). */
export const PAIR_COUNTS: Counter = { table: 'pair_counts', keys: [['first_lexeme', 'text'], ['second_lexeme', 'text'], ['category_slug', 'text']] };

const keyList = ({ keys }: Counter) => keys.map(([column]) => column).join(', ');

export async function createCounter(q: Queryable, schema: string, counter: Counter): Promise<void> {
  const columns = counter.keys.map(([column, type]) => `${column} ${type} NOT NULL`).join(', ');
  await q.query(`CREATE TABLE ${schema}.${counter.table} (${columns}, n bigint NOT NULL, delta boolean NOT NULL DEFAULT true)`);
  await q.query(`CREATE UNIQUE INDEX ${counter.table}_key ON ${schema}.${counter.table} (${keyList(counter)}) WHERE NOT delta`);
}

/** Folds a counter's deltas into its totals, and drops the totals that came to nothing. */
export async function compactCounter(q: Queryable, schema: string, counter: Counter): Promise<void> {
  const { table } = counter;
  const keys = keyList(counter);
  await q.query(`
    WITH moved AS (DELETE FROM ${schema}.${table} WHERE delta RETURNING ${keys}, n)
    INSERT INTO ${schema}.${table} (${keys}, n, delta)
      SELECT ${keys}, sum(n), false FROM moved GROUP BY ${keys}
    ON CONFLICT (${keys}) WHERE NOT delta DO UPDATE SET n = ${table}.n + EXCLUDED.n`);
  await q.query(`DELETE FROM ${schema}.${table} WHERE NOT delta AND n = 0`);
}
