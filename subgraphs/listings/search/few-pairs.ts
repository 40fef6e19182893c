import { SEARCH_SCHEMA } from './read-model';
import type { Statements } from './page';

/**
 * How long a snapshot of the pair counters stands. It only chooses how a relevance page is found
 * (one ordering of every match, or the walk of the tiers), never what the page holds, so a stale one
 * costs at most speed; reading it (a few hundred milliseconds at a million listings) every five
 * minutes costs PostgreSQL little.
 */
export const FEW_PAIRS_TTL_MS = 5 * 60_000;

/**
 * Pairs of common words that few documents hold together, kept in memory from the pair counters
 * (pair-counts.ts). Two common words are often rare together: at a million listings half the pairs
 * match at most 500 documents. For those, one statement that orders every match (the GIN bitmap of
 * the pair, then a sort) finds the page; walking the tiers would read the title index for the first
 * tier, then the whole text's for the others, in two statements. A search learns a pair's count only
 * with its page, too late to choose: hence this snapshot, read before.
 */
export class FewPairs {
  private pairs = new Set<string>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading?: Promise<void>;

  constructor(
    private readonly db: Statements,
    /** What counts as few (the search's FEW_MATCHES). */
    private readonly fewMatches: number,
    private readonly ttlMs = FEW_PAIRS_TTL_MS,
  ) {}

  /**
   * Whether the two words are known to be rare together. Never waits: a stale or missing snapshot is
   * read again in the background, and the pair is meanwhile taken not to be known (the tier walk).
   */
  has(pair: readonly [string, string]): boolean {
    if (performance.now() - this.loadedAt > this.ttlMs) this.refresh();
    return this.pairs.has(keyOf(pair[0], pair[1]));
  }

  /** Reads the snapshot (once at a time); resolves when it is in place. */
  refresh(): Promise<void> {
    this.loading ??= this.db
      .query<{ a: string; b: string }>(
        `SELECT first_lexeme AS a, second_lexeme AS b FROM ${SEARCH_SCHEMA}.pair_counts GROUP BY 1, 2 HAVING sum(n) <= $1`,
        [this.fewMatches],
      )
      .then((rows) => {
        this.pairs = new Set(rows.map((row) => keyOf(row.a, row.b)));
        this.loadedAt = performance.now();
      })
      // a failed read is tried again at the next search after the TTL: meanwhile the old snapshot stands
      .catch(() => void (this.loadedAt = performance.now()))
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}

/** A pair in either order: the counters order by the database's collation, analysis by bytes. */
const keyOf = (a: string, b: string) => (a < b ? `${a} ${b}` : `${b} ${a}`);
