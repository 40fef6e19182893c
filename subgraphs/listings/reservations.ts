import { affectedRows } from '../../lib/db/affected';
import type { DataSource, EntityManager } from 'typeorm';
import { AppError, badInput, forbidden } from '../../lib/errors';
import type { MarketplaceEvent } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import { recordEvent } from '../../lib/events/outbox';
import { isUuid } from '../../lib/ids';
import { moneyField, type Money } from '../../lib/money';
import { integerInRange } from '../../lib/validation';
import type { Fulfillment } from './entities';
import type { SearchChange } from './search/cache';
import type { SearchProjection } from './search/projection';

export interface ReserveInput {
  reservationId: string;
  buyerSellerId?: string | null;
  items: { listingId: string; quantity: number }[];
}

export interface ReservedLine {
  listingId: string;
  sellerId: string;
  title: string;
  categorySlug: string;
  unitPrice: Money & { formatted: string };
  quantity: number;
  fulfillment: Fulfillment;
}

export interface ReservationResult {
  id: string;
  items: ReservedLine[];
}

const MAX_LINES = 50;
const MAX_QUANTITY = 1000;
const MAX_TOTAL = 2 ** 31 - 1;

interface LineRow {
  listing_id: string;
  seller_id: string;
  title: string;
  category_slug: string;
  unit_price: number;
  currency: string;
  quantity: number;
  fulfillment: Fulfillment;
}

const toLine = (row: LineRow): ReservedLine => ({
  listingId: row.listing_id,
  sellerId: row.seller_id,
  title: row.title,
  categorySlug: row.category_slug,
  unitPrice: moneyField({ amount: row.unit_price, currency: row.currency.trim() }),
  quantity: row.quantity,
  fulfillment: row.fulfillment,
});

/** Same listing twice in a cart is one line; sorted so that every checkout locks rows in one order. */
function normalise(items: ReserveInput['items']): Map<string, number> {
  if (items.length === 0) throw badInput('items must not be empty', 'items');
  const lines = new Map<string, number>();
  for (const { listingId, quantity } of items) {
    integerInRange(quantity, 'quantity', { min: 1, max: MAX_QUANTITY });
    if (!isUuid(listingId)) throw badInput(`listing ${listingId} is not for sale`, 'listingId');
    lines.set(listingId, (lines.get(listingId) ?? 0) + quantity);
  }
  if (lines.size > MAX_LINES) throw badInput(`a cart holds at most ${MAX_LINES} different listings`, 'items');
  return new Map([...lines].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Stock for a whole purchase is taken in one transaction, or none of it is. Listing rows are locked
 * in id order, so concurrent checkouts queue instead of deadlocking and can never sell a unit twice;
 * the reservation id makes a retried call return what the first one took.
 */
export async function reserveStock(
  db: DataSource,
  search: SearchProjection,
  input: ReserveInput,
): Promise<ReservationResult & { change?: SearchChange }> {
  if (!isUuid(input.reservationId)) throw badInput('reservationId must be a UUID', 'reservationId');
  const wanted = normalise(input.items);
  return db.transaction(async (manager) => {
    const listings: {
      id: string;
      seller_id: string;
      title: string;
      category_slug: string;
      price_amount: number;
      currency: string;
      stock: number;
      low_stock_threshold: number;
      status: string;
      fulfillment: Fulfillment;
    }[] = await manager.query(
        `SELECT id, seller_id, title, category_slug, price_amount, currency, stock, low_stock_threshold, status, fulfillment
         FROM listings WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
        [[...wanted.keys()]],
      );
    // checked only once the rows are locked: a concurrent retry waits above, then finds the first call's lines
    const existing = await reservedLines(manager, input.reservationId);
    if (existing.length) return { id: input.reservationId, items: existing.map(toLine) };

    const byId = new Map(listings.map((l) => [l.id, l]));
    const currencies = new Set(listings.map((l) => l.currency));
    const short: string[] = [];
    const suspended = await suspendedAmong(manager, [...new Set(listings.map((l) => l.seller_id))]);
    for (const [listingId, quantity] of wanted) {
      const listing = byId.get(listingId);
      // taken down by operators, or its shop suspended: not the buyer's mistake, and no retry will help
      if (listing?.status === 'REMOVED') throw forbidden(`listing ${listingId} was removed by the marketplace and cannot be bought`);
      if (listing && suspended.has(listing.seller_id)) throw forbidden(`listing ${listingId} cannot be bought: its shop is suspended`);
      if (!listing || listing.status !== 'ACTIVE') throw badInput(`listing ${listingId} is not for sale`, 'listingId');
      if (input.buyerSellerId && listing.seller_id === input.buyerSellerId) {
        throw badInput('you cannot buy your own listing', 'listingId');
      }
      if (listing.stock < quantity) short.push(listingId);
    }
    if (currencies.size > 1) throw badInput('every item of a purchase must be in one currency', 'items');
    const total = [...wanted].reduce((sum, [id, quantity]) => sum + byId.get(id)!.price_amount * quantity, 0);
    // amounts travel as GraphQL Int, a signed 32-bit integer
    if (total > MAX_TOTAL) throw badInput('the cart is worth more than one purchase may be', 'items');
    if (short.length) {
      throw new AppError('INSUFFICIENT_STOCK', 'Not enough stock for every item; nothing was reserved', { listingIds: short });
    }
    for (const [listingId, quantity] of wanted) {
      const listing = byId.get(listingId)!;
      await manager.query(`UPDATE listings SET stock = stock - $2, updated_at = now() WHERE id = $1`, [listingId, quantity]);
      const left = listing.stock - quantity;
      // told once, when a sale crosses the threshold; sales below it, and stock given back, say nothing
      if (listing.stock > listing.low_stock_threshold && left <= listing.low_stock_threshold) {
        await recordEvent(manager, 'listings', 'StockLow', {
          listingId,
          sellerId: listing.seller_id,
          title: listing.title,
          stock: left,
          threshold: listing.low_stock_threshold,
          at: new Date().toISOString(),
        });
      }
      await manager.query(
        `INSERT INTO stock_reservations (reservation_id, listing_id, seller_id, title, category_slug, unit_price, currency, quantity, fulfillment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [input.reservationId, listingId, listing.seller_id, listing.title, listing.category_slug, listing.price_amount, listing.currency, quantity, listing.fulfillment],
      );
    }
    const change = await search.listings(manager, [...wanted.keys()]);
    return { id: input.reservationId, items: (await reservedLines(manager, input.reservationId)).map(toLine), change };
  });
}

/** Of these sellers, the ones suspended (their listings cannot be bought). */
async function suspendedAmong(manager: EntityManager, sellerIds: string[]): Promise<Set<string>> {
  const rows: { seller_id: string }[] = await manager.query(
    `SELECT seller_id FROM seller_standing WHERE seller_id = ANY($1::uuid[]) AND status = 'SUSPENDED'`,
    [sellerIds],
  );
  return new Set(rows.map((row) => row.seller_id));
}

function reservedLines(manager: EntityManager, reservationId: string): Promise<LineRow[]> {
  return manager.query(
    `SELECT listing_id, seller_id, title, category_slug, unit_price, currency, quantity, fulfillment
     FROM stock_reservations WHERE reservation_id = $1 ORDER BY listing_id`,
    [reservationId],
  );
}

/**
 * A cancelled order gives its units back, once: each line returns at most what it reserved, so a
 * redelivered or duplicated event cannot create stock.
 */
export async function returnStock(db: DataSource, search: SearchProjection, event: MarketplaceEvent<'OrderStatusChanged'>): Promise<void> {
  const { purchaseId, items } = event.payload;
  await handleOnce(db, 'listings', event, async (manager) => {
    for (const { listingId, quantity } of items) {
      const returned = await manager.query(
        `UPDATE stock_reservations SET returned = returned + $3
         WHERE reservation_id = $1 AND listing_id = $2 AND returned + $3 <= quantity`,
        [purchaseId, listingId, quantity],
      );
      if (affectedRows(returned) > 0) {
        await manager.query(`UPDATE listings SET stock = stock + $2, updated_at = now() WHERE id = $1`, [listingId, quantity]);
      }
    }
    await search.listings(manager, items.map((item) => item.listingId).filter(isUuid));
  });
}

/**
 * A checkout abandoned before its orders were written gives back every unit reserved under its id
 * and not yet returned, once: a redelivered event finds nothing left to return.
 */
export async function releaseReservation(db: DataSource, search: SearchProjection, event: MarketplaceEvent<'PurchaseAbandoned'>): Promise<void> {
  await handleOnce(db, 'listings', event, async (manager) => {
    const released: { listing_id: string; back: number }[] = await manager.query(
      `SELECT listing_id, quantity - returned AS back FROM stock_reservations
       WHERE reservation_id = $1 AND returned < quantity ORDER BY listing_id FOR UPDATE`,
      [event.payload.purchaseId],
    );
    await manager.query(`UPDATE stock_reservations SET returned = quantity WHERE reservation_id = $1`, [event.payload.purchaseId]);
    for (const { listing_id: listingId, back } of released) {
      await manager.query(`UPDATE listings SET stock = stock + $2, updated_at = now() WHERE id = $1`, [listingId, back]);
    }
    await search.listings(manager, released.map((row) => row.listing_id));
  });
}
