import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { isEvent, type EventPayloads } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import type { EventEnvelope } from '../../lib/events/types';
import { isUuid } from '../../lib/ids';
import type { InternalClient } from '../../lib/server/internal-client';

/**
 * What listings serves of a listing's seller (the schema's @provides on Listing.seller): the shop
 * name from its copy of accounts' sellers, the reputation from its copy of reputation's scores. A
 * page of search results then needs no call to accounts or reputation; both copies follow those
 * subgraphs' events within moments.
 */
export interface SellerProfile {
  id: string;
  shopName: string;
  reputation: { score: number; reviewCount: number };
}

type Registered = EventPayloads['SellerRegistered'];

function wellFormed({ sellerId, shopName, at }: Registered): boolean {
  return isUuid(sellerId) && typeof shopName === 'string' && shopName.length > 0 && typeof at === 'string' && !Number.isNaN(Date.parse(at));
}

/**
 * Keeps seller_profiles from accounts' events; a copy newer than the event stays as it is. Answers
 * whether the copy changed.
 */
export async function handleSellerRegistered(db: DataSource, event: EventEnvelope): Promise<boolean> {
  if (!isEvent(event, 'SellerRegistered') || !wellFormed(event.payload)) return false;
  const { sellerId, shopName, at } = event.payload;
  let changed = false;
  await handleOnce(db, 'listings', event, async (manager) => {
    const rows: unknown[] = await manager.query(
      `INSERT INTO seller_profiles (seller_id, shop_name, updated_at) VALUES ($1, $2, CAST($3 AS timestamptz))
       ON CONFLICT (seller_id) DO UPDATE SET shop_name = EXCLUDED.shop_name, updated_at = EXCLUDED.updated_at
         WHERE seller_profiles.updated_at < EXCLUDED.updated_at
       RETURNING seller_id`,
      [sellerId, shopName, at],
    );
    changed = rows.length > 0;
  });
  return changed;
}

const SHOP_NAMES = `query SellerShopNames($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Seller { id shopName } }
}`;

/**
 * A seller whose event has not arrived yet (or who registered before listings kept copies) is asked
 * of accounts once, and the answer kept: the copy fills itself.
 */
async function fetchMissing(db: DataSource, accounts: InternalClient, ids: string[]): Promise<Map<string, string>> {
  const data = await accounts.call<{ _entities: ({ id: string; shopName: string } | null)[] }>('accounts', SHOP_NAMES, {
    representations: ids.map((id) => ({ __typename: 'Seller', id })),
  });
  const found = data._entities.filter((seller): seller is { id: string; shopName: string } => seller !== null);
  if (found.length) {
    // older than any event, so that a later SellerRegistered still applies
    await db.query(
      `INSERT INTO seller_profiles (seller_id, shop_name, updated_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) ON CONFLICT (seller_id) DO NOTHING`,
      [found.map((s) => s.id), found.map((s) => s.shopName), found.map(() => '-infinity')],
    );
  }
  return new Map(found.map((seller) => [seller.id, seller.shopName]));
}

/** A seller's copies as one statement reads them; the shop name is null until accounts' event arrives. */
export interface ProfileRow {
  id: string;
  shop_name: string | null;
  score: number | null;
  review_count: number | null;
}

/** A seller nobody has reviewed stands at the prior, as the reputation subgraph scores them. */
export function profileOf(row: ProfileRow, priorScore: number, shopName = row.shop_name ?? undefined): SellerProfile | undefined {
  return shopName === undefined ? undefined : { id: row.id, shopName, reputation: { score: row.score ?? priorScore, reviewCount: row.review_count ?? 0 } };
}

/** The sellers of these ids from the copies, in one statement (and one call to accounts for any unknown). */
async function readProfiles(db: DataSource, accounts: InternalClient, priorScore: number, ids: string[]): Promise<SellerProfile[]> {
  const rows: ProfileRow[] = await db.query(
    `SELECT k.id, p.shop_name, r.score, r.review_count FROM unnest($1::uuid[]) AS k(id)
     LEFT JOIN seller_profiles p ON p.seller_id = k.id LEFT JOIN seller_reputation r ON r.seller_id = k.id`,
    [ids],
  );
  const missing = rows.filter((row) => row.shop_name === null).map((row) => row.id);
  const fetched = missing.length ? await fetchMissing(db, accounts, missing) : new Map<string, string>();
  return rows.flatMap((row) => profileOf(row, priorScore, row.shop_name ?? fetched.get(row.id)) ?? []);
}

/** Where profiles are read through: the search cache, when there is one. */
export type ProfileSource = (ids: string[], load: (ids: string[]) => Promise<SellerProfile[]>) => Promise<SellerProfile[]>;

/** Per request: every seller of the listings shown, at once. */
export function sellerProfileLoader(
  db: DataSource,
  accounts: InternalClient,
  priorScore: number,
  through: ProfileSource = (ids, load) => load(ids),
): DataLoader<string, SellerProfile> {
  return new DataLoader<string, SellerProfile>(async (keys) => {
    const ids = keys.filter(isUuid);
    const profiles = ids.length ? await through(ids, (missing) => readProfiles(db, accounts, priorScore, missing)) : [];
    const byId = new Map(profiles.map((profile) => [profile.id, profile]));
    return keys.map((id) => byId.get(id) ?? new Error(`seller ${id} is unknown to accounts`));
  });
}
