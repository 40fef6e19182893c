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

/** Keeps seller_profiles from accounts' events; a copy newer than the event stays as it is. */
export async function handleSellerRegistered(db: DataSource, event: EventEnvelope): Promise<void> {
  if (!isEvent(event, 'SellerRegistered') || !wellFormed(event.payload)) return;
  const { sellerId, shopName, at } = event.payload;
  await handleOnce(db, 'listings', event, (manager) =>
    manager.query(
      `INSERT INTO seller_profiles (seller_id, shop_name, updated_at) VALUES ($1, $2, CAST($3 AS timestamptz))
       ON CONFLICT (seller_id) DO UPDATE SET shop_name = EXCLUDED.shop_name, updated_at = EXCLUDED.updated_at
         WHERE seller_profiles.updated_at < EXCLUDED.updated_at`,
      [sellerId, shopName, at],
    ),
  );
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

/** Per request: every seller of the listings shown, in one statement (and one call for any unknown). */
export function sellerProfileLoader(db: DataSource, accounts: InternalClient, priorScore: number): DataLoader<string, SellerProfile> {
  return new DataLoader<string, SellerProfile>(async (keys) => {
    const ids = keys.filter(isUuid);
    const rows: { id: string; shop_name: string | null; score: number | null; review_count: number | null }[] = ids.length
      ? await db.query(
          `SELECT k.id, p.shop_name, r.score, r.review_count FROM unnest($1::uuid[]) AS k(id)
           LEFT JOIN seller_profiles p ON p.seller_id = k.id LEFT JOIN seller_reputation r ON r.seller_id = k.id`,
          [ids],
        )
      : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    const missing = rows.filter((row) => row.shop_name === null).map((row) => row.id);
    const fetched = missing.length ? await fetchMissing(db, accounts, missing) : new Map<string, string>();
    return keys.map((id) => {
      const row = byId.get(id);
      const shopName = row?.shop_name ?? fetched.get(id);
      if (!row || shopName === undefined) return new Error(`seller ${id} is unknown to accounts`);
      // a seller nobody has reviewed stands at the prior, as the reputation subgraph scores them
      return { id, shopName, reputation: { score: row.score ?? priorScore, reviewCount: row.review_count ?? 0 } };
    });
  });
}
