import { PAIR_COUNTS, createCounter, type Queryable } from './counter-tables';
import type { Statement } from './sql';

/**
 * Pair counters: how many documents of each category hold both of two common words. A search of two
 * common words reads its total and facets here (a handful of rows) instead of counting its matches,
 * which PostgreSQL can only do by decoding both words' whole posting lists from the GIN index and
 * visiting every match in the table: at a million listings, 8.5 ms on average and up to 90 ms for
 * two words of the 300 commonest, against 3 ms for the page alone. Words outside the common set
 * match few documents, so a pair with one of them stays cheap to count row by row.
 *
 * The price is paid by writers: a document holds about 20 common words, so its trigger writes about
 * 190 pair deltas when its text changes, and a rebuild counts every pair of every document (minutes
 * at a million listings, beside the minute the rest takes).
 */

/** Which words are common: those in at least `share` of documents and `atLeast` of them, the `atMost` commonest. */
export interface CommonWordRule {
  share: number;
  atLeast: number;
  atMost: number;
}

/**
 * 1 %: a pair with a rarer word matches fewer documents than that word, fewer than the 10,000 a
 * counted search reads at most at a million listings. 500 words make at most 125,000 pairs a
 * category. Below 1,000 documents a word's matches cost little to count whatever its share.
 */
export const COMMON_WORDS: CommonWordRule = { share: 0.01, atLeast: 1_000, atMost: 500 };

/**
 * `common_words` (whose pairs are counted, a set that only grows until a rebuild chooses afresh) and
 * the counter itself, with an index for a pair's totals and deltas alike.
 */
export async function createPairCounts(q: Queryable, schema: string): Promise<void> {
  await q.query(`CREATE TABLE ${schema}.common_words (lexeme text PRIMARY KEY)`);
  await createCounter(q, schema, PAIR_COUNTS);
  await q.query(`CREATE INDEX pair_counts_pair ON ${schema}.pair_counts (first_lexeme, second_lexeme)`);
}

/**
 * The trigger's statement counting a document's pairs of common words in (1) or out (-1); `row` is
 * NEW or OLD. Pairs are ordered by the database's collation, as the reader's LEAST and GREATEST are.
 */
export function pairDeltas(schema: string, row: 'NEW' | 'OLD', sign: 1 | -1): string {
  return `
    INSERT INTO ${schema}.pair_counts (first_lexeme, second_lexeme, category_slug, n)
      WITH words AS MATERIALIZED (
        SELECT c.lexeme FROM unnest(tsvector_to_array(${row}.terms)) AS t(lexeme) JOIN ${schema}.common_words c ON c.lexeme = t.lexeme
      )
      SELECT a.lexeme, b.lexeme, ${row}.category_slug, ${sign} FROM words a JOIN words b ON a.lexeme < b.lexeme;`;
}

/** A lexeme as a tsquery operand: quoted, with quotes and backslashes doubled as tsquery's input wants. */
const operand = (lexeme: string) => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * Words that have grown common join the set, with their pairs counted from the documents that hold
 * them. Writers of documents wait meanwhile (a word just over the threshold is in few documents), so
 * that none changes a document between the count and the trigger counting the new pairs. Returns the
 * words admitted. A rebuild runs it on a read model nobody writes yet, to count every pair at once.
 */
export async function admitCommonWords(q: Queryable, schema: string, rule: CommonWordRule): Promise<string[]> {
  const candidates = async () => {
    const rows: { lexeme: string }[] = await q.query(
      `SELECT lexeme FROM ${schema}.term_counts GROUP BY lexeme
       HAVING sum(n) >= greatest($1::float8, $2::float8 * (SELECT coalesce(sum(n), 0) FROM ${schema}.category_counts))
          AND lexeme NOT IN (SELECT lexeme FROM ${schema}.common_words)
       ORDER BY sum(n) DESC, lexeme
       LIMIT greatest(0, $3::int - (SELECT count(*) FROM ${schema}.common_words))`,
      [Math.max(rule.atLeast, 1), rule.share, rule.atMost],
    );
    return rows.map((row) => row.lexeme);
  };
  if (!(await candidates()).length) return [];
  // (this lock also waits for another instance admitting the same words; then there may be none left)
  await q.query(`LOCK TABLE ${schema}.documents IN SHARE ROW EXCLUSIVE MODE`);
  const words = await candidates();
  if (!words.length) return [];
  const [{ before }]: { before: string }[] = await q.query(`SELECT count(*) AS before FROM ${schema}.common_words`);
  await q.query(`INSERT INTO ${schema}.common_words (lexeme) SELECT unnest($1::text[])`, [words]);
  // every word new (a rebuild): every pair counts, and no document is left out
  const everyWordNew = Number(before) === 0;
  // totals at once: no pair of a word that was not common has a row to add to
  await q.query(
    `INSERT INTO ${schema}.pair_counts (first_lexeme, second_lexeme, category_slug, n, delta)
     WITH held AS (
       SELECT d.category_slug, array_agg(c.lexeme ORDER BY c.lexeme) AS words
       FROM ${schema}.documents d
         CROSS JOIN unnest(tsvector_to_array(d.terms)) AS t(lexeme)
         JOIN ${schema}.common_words c ON c.lexeme = t.lexeme
       ${everyWordNew ? '' : 'WHERE d.terms @@ CAST($1 AS tsquery)'}
       GROUP BY d.listing_id, d.category_slug
     )
     SELECT words[i], words[j], category_slug, count(*), false
     FROM held, generate_series(1, cardinality(words)) AS i, generate_series(i + 1, cardinality(words)) AS j
     ${everyWordNew ? '' : 'WHERE words[i] = ANY($2::text[]) OR words[j] = ANY($2::text[])'}
     GROUP BY 1, 2, 3`,
    everyWordNew ? [] : [words.map(operand).join(' | '), words],
  );
  return words;
}

/**
 * The statement reading a pair's counts, as facets (`value`, `count`), and beside them a row without
 * a value whose count says how many of the two words are common: the set may have changed since the
 * caller looked, and a pair not counted has no rows, which would read as no matches.
 */
export function pairCounterStatement(schema: string, lexemes: [string, string]): Statement {
  return {
    sql: `SELECT category_slug AS value, sum(n) AS count FROM ${schema}.pair_counts
          WHERE first_lexeme = least($1::text, $2::text) AND second_lexeme = greatest($1::text, $2::text) GROUP BY category_slug
          UNION ALL
          SELECT NULL, count(*) FROM ${schema}.common_words WHERE lexeme IN ($1::text, $2::text)`,
    values: lexemes,
  };
}
