import type { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { ListingEntity } from '../entities';
import { profileOf, type ProfileRow, type SellerProfile } from '../seller-profiles';
import type { FacetRow } from './counts';
import type { Statements } from './page';
import { shiftParameters, type Statement } from './sql';

/**
 * Runs the statements that find a page's hits so that each hit brings its listing and its seller's
 * profile along: one round trip for what would otherwise be three (hits, listings by id, sellers by
 * id). On the machine measured, each round trip cost the subgraph and PostgreSQL about as much CPU as
 * the index walk that finds the page.
 *
 * It is `Statements` for the page functions (page.ts), which stay plain statements that yield hits;
 * every statement given to it must be one.
 */
export class PageRows implements Statements {
  /** What the statements run so far brought along, by id. */
  readonly listings = new Map<string, ListingEntity>();
  readonly sellers = new Map<string, SellerProfile>();
  /** The rows of the counts statement folded into the first statement, once it ran. */
  counted?: FacetRow[];
  private toCount?: Statement;

  constructor(
    private readonly db: DataSource,
    private readonly columns: ListingColumns,
    private readonly priorScore: number,
  ) {}

  /** The next statement also runs this one, whose rows are facets (the search's counts). */
  countAlong(statement: Statement | undefined): void {
    this.toCount = statement;
  }

  async query<T>(hits: string, parameters: unknown[] = []): Promise<T[]> {
    const counting = this.toCount;
    this.toCount = undefined;
    // Scalar subqueries rather than joins: PostgreSQL plans them apart, without searching join orders,
    // which took more of its time than running the statement. The hits keep their order through their
    // row numbers. An empty page returns no row, and with it no counts: they are then read apart.
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT h.*, ${this.columns.select},
              (SELECT p.shop_name FROM seller_profiles p WHERE p.seller_id = l.seller_id) AS s_shop_name,
              (SELECT json_build_array(r.score, r.review_count) FROM seller_reputation r WHERE r.seller_id = l.seller_id) AS s_reputation
              ${counting ? `, (SELECT json_agg(c) FROM (${shiftParameters(counting.sql, parameters.length)}) c) AS counted` : ''}
       FROM (SELECT h.*, row_number() OVER () AS h_position FROM (${hits}) h) h
       LEFT JOIN listings l ON l.id = h.id
       ORDER BY h.h_position`,
      counting ? [...parameters, ...counting.values] : parameters,
    );
    if (counting && rows.length) this.counted = (rows[0].counted as FacetRow[] | null) ?? [];
    for (const row of rows) {
      if (row.l_id === null) continue; // a document whose listing a bulk load removed: dropped from the page later
      const listing = this.columns.hydrate(row);
      this.listings.set(listing.id, listing);
      const [score, reviewCount] = (row.s_reputation as [number, number] | null) ?? [null, null];
      const seller = profileOf(
        { id: listing.sellerId, shop_name: row.s_shop_name as string | null, score, review_count: reviewCount } satisfies ProfileRow,
        this.priorScore,
      );
      if (seller) this.sellers.set(seller.id, seller);
    }
    return rows as T[];
  }
}

/** How a listing's columns are selected beside a hit and read back into an entity. */
export interface ListingColumns {
  select: string;
  hydrate(row: Record<string, unknown>): ListingEntity;
}

/**
 * From TypeORM's metadata, so that the listing a search brings along is the entity a repository
 * would have read (every selected column, converted the same way).
 */
export function listingColumns(db: DataSource): ListingColumns {
  const metadata = db.getMetadata(ListingEntity);
  const columns: ColumnMetadata[] = metadata.columns.filter((column) => column.isSelect);
  const alias = (column: ColumnMetadata) => `l_${column.databaseName}`;
  return {
    select: columns.map((column) => `l.${column.databaseName} AS ${alias(column)}`).join(', '),
    hydrate(row) {
      const listing = metadata.create() as ListingEntity;
      for (const column of columns) column.setEntityValue(listing, db.driver.prepareHydratedValue(row[alias(column)], column));
      return listing;
    },
  };
}
