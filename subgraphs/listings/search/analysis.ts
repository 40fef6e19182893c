import { LRUCache } from 'lru-cache';
import type { Statements } from './page';
import type { AnalyzedText } from './types';

/** Plain words only: letters, one space or more between them, at most this many. */
const PLAIN_WORDS = /^[A-Za-z]+(?:\s+[A-Za-z]+){0,7}$/;

/**
 * How PostgreSQL reads a query (websearch_to_tsquery and to_tsvector with the english configuration):
 * whether it has words at all, whether it is one word or a plain pair, its lexemes and its tsquery.
 *
 * A query of plain words (letters only, no `or`, quotes or `-`) is read word by word: each such word
 * is one token of the parser, and the query is the AND of the words' lexemes, stop words left out,
 * exactly as websearch_to_tsquery makes it. Words are few and often asked (queries are mostly new
 * pairs of known words), so their lexemes are remembered and a search rarely asks PostgreSQL to
 * analyse anything: at a million listings that round trip was a sixth of a two-word search's time.
 * Every other query is asked whole, and remembered by its text.
 */
export class QueryAnalyzer {
  private readonly texts = new LRUCache<string, AnalyzedText>({ max: 10_000 });
  /** A word, lower case → its lexeme, or '' for a stop word. */
  private readonly words = new LRUCache<string, string>({ max: 100_000 });

  constructor(private readonly db: Statements) {}

  async analyze(text: string): Promise<AnalyzedText> {
    const known = this.texts.get(text);
    if (known) return known;
    const analysed = PLAIN_WORDS.test(text) && !/\bor\b/i.test(text) ? await this.plainWords(text) : await analyzeWhole(this.db, text);
    this.texts.set(text, analysed);
    return analysed;
  }

  private async plainWords(text: string): Promise<AnalyzedText> {
    const words = text.toLowerCase().split(/\s+/);
    const unknown = [...new Set(words.filter((word) => !this.words.has(word)))];
    if (unknown.length) {
      const rows = await this.db.query<{ word: string; lexemes: string[] }>(
        `SELECT w AS word, tsvector_to_array(to_tsvector('english', w)) AS lexemes FROM unnest($1::text[]) AS w`,
        [unknown],
      );
      for (const row of rows) this.words.set(row.word, row.lexemes[0] ?? '');
    }
    const operands = words.map((word) => this.words.get(word) ?? '').filter(Boolean);
    const lexemes = [...new Set(operands)].sort(byBytes);
    return {
      text,
      empty: operands.length === 0,
      singleLexeme: operands.length === 1 ? operands[0] : null,
      pair: operands.length === 2 && lexemes.length === 2 ? (lexemes as [string, string]) : null,
      lexemes,
      tsquery: operands.map((lexeme) => `'${lexeme}'`).join(' & '),
    };
  }
}

/** The query read by PostgreSQL as a whole, in a statement of its own. */
export async function analyzeWhole(db: Statements, text: string): Promise<AnalyzedText> {
  const [row] = await db.query<{ nodes: number; lexemes: string[]; tsquery: string }>(
    `SELECT numnode(q) AS nodes, tsvector_to_array(to_tsvector('english', $1)) AS lexemes, q::text AS tsquery
     FROM websearch_to_tsquery('english', $1) AS q`,
    [text],
  );
  return {
    text,
    empty: row.nodes === 0,
    singleLexeme: row.nodes === 1 && row.lexemes.length === 1 ? row.lexemes[0] : null,
    // both words asked for, plainly: `'a' & 'b'` (not `or`, a phrase, a prefix nor an exclusion)
    pair: row.nodes === 3 && row.lexemes.length === 2 && /^'[^']+' & '[^']+'$/.test(row.tsquery) ? (row.lexemes as [string, string]) : null,
    lexemes: row.lexemes,
    tsquery: row.tsquery,
  };
}

/** tsvector's order of lexemes (bytes), which tsvector_to_array returns them in. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
