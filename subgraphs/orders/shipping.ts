import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { badInput, forbidden } from '../../lib/errors';
import { isCountryCode } from '../../lib/postal-address';
import { amountIn, given, integerInRange } from '../../lib/validation';
import { ShippingRateEntity } from './entities';

/** A seller as other subgraphs refer to it: orders adds their shipping rates. */
export interface SellerRef {
  id: string;
}

export interface ShippingRateInput {
  country: string;
  price: { amount: number; currency: string };
  freeOver?: { amount: number; currency: string } | null;
  minDays: number;
  maxDays: number;
}

/** The rate for every country without one of its own. */
export const ANY_COUNTRY = '*';
/** Every ISO 3166-1 country and `*`. */
const MAX_RATES = 250;
const MAX_DAYS = 365;
/** As a listing's price: one million in major units of a two-decimal currency. */
const MAX_AMOUNT = 100_000_000;

/**
 * Sellers' shipping rates: what shipping one order to a country costs, when it ships free, and how
 * many days it takes. A seller without rates ships everywhere for free; once a seller has rates, a
 * country without one (and without `*`) is not served.
 */
export class ShippingRates {
  constructor(private readonly db: DataSource) {}

  /** Replaces every rate of the viewer's shop; all are checked before any is written. */
  async set(viewer: Viewer, inputs: ShippingRateInput[]): Promise<ShippingRateEntity[]> {
    if (!viewer.seller) throw forbidden('Only sellers set shipping rates');
    const seller = viewer.seller;
    if (inputs.length > MAX_RATES) throw badInput(`at most ${MAX_RATES} rates`, 'rates');
    const rates = inputs.map((input) => rateOf(seller, input));
    const countries = rates.map((rate) => rate.country);
    if (new Set(countries).size !== countries.length) throw badInput('each country may have one rate only', 'country');
    await this.db.transaction(async (manager) => {
      await manager.delete(ShippingRateEntity, { sellerId: seller.id });
      if (rates.length) await manager.insert(ShippingRateEntity, rates);
    });
    return inListOrder(rates);
  }
}

function rateOf(seller: NonNullable<Viewer['seller']>, input: ShippingRateInput): ShippingRateEntity {
  const country = input.country.trim().toUpperCase();
  if (country !== ANY_COUNTRY && !isCountryCode(country)) throw badInput('country must be an ISO 3166-1 alpha-2 code such as US, or *', 'country');
  const minDays = integerInRange(input.minDays, 'minDays', { min: 0, max: MAX_DAYS });
  const maxDays = integerInRange(input.maxDays, 'maxDays', { min: 0, max: MAX_DAYS });
  if (minDays > maxDays) throw badInput('minDays must not be more than maxDays', 'minDays');
  return Object.assign(new ShippingRateEntity(), {
    sellerId: seller.id,
    country,
    priceAmount: amountIn(seller.currency, input.price, 'price', { min: 0, max: MAX_AMOUNT }),
    freeOverAmount: given(input.freeOver) ? amountIn(seller.currency, input.freeOver, 'freeOver', { min: 1, max: MAX_AMOUNT }) : null,
    currency: seller.currency,
    minDays,
    maxDays,
  });
}

/** Countries in alphabetical order, `*` last. */
export function inListOrder(rates: ShippingRateEntity[]): ShippingRateEntity[] {
  const last = (rate: ShippingRateEntity) => Number(rate.country === ANY_COUNTRY);
  return [...rates].sort((a, b) => last(a) - last(b) || (a.country < b.country ? -1 : a.country > b.country ? 1 : 0));
}

/** What one order costs to ship, and when it arrives (in days from now). */
export interface ShippingQuote {
  amount: number;
  days: { min: number; max: number } | null;
}

/**
 * The seller's shipping of an order of `subtotal` to `country`: free with no rates at all (and no
 * days promised), the country's rate or else `*`'s, free from `freeOver` on; undefined when the
 * seller does not ship there.
 */
export function quoteShipping(rates: ShippingRateEntity[], country: string, subtotal: number): ShippingQuote | undefined {
  if (rates.length === 0) return { amount: 0, days: null };
  const rate = rates.find((r) => r.country === country) ?? rates.find((r) => r.country === ANY_COUNTRY);
  if (!rate) return undefined;
  const free = rate.freeOverAmount !== null && subtotal >= rate.freeOverAmount;
  return { amount: free ? 0 : rate.priceAmount, days: { min: rate.minDays, max: rate.maxDays } };
}
