import { In, type DataSource } from 'typeorm';
import { badInput, conflict } from '../../lib/errors';
import { postalAddress, type PostalAddress, type PostalAddressInput } from '../../lib/postal-address';
import type { InternalClient } from '../../lib/server/internal-client';
import { given } from '../../lib/validation';
import { ShippingRateEntity } from './entities';
import { quoteShipping } from './shipping';

export type Fulfillment = 'SHIPPING' | 'DIGITAL' | 'SERVICE';

/** Where a checkout's goods go: an address of the buyer's book, one given for this checkout, or the default. */
export interface DeliveryInput {
  shippingAddressId?: string | null;
  shippingAddress?: PostalAddressInput | null;
}

/** A checkout's delivery, settled before anything is reserved. */
export interface Delivery {
  /** Null when nothing in the cart ships. */
  address: PostalAddress | null;
  /** The rates of each seller whose goods ship, as they stood when the checkout began. */
  rates: Map<string, ShippingRateEntity[]>;
}

/** One order's delivery: what shipping adds, where to, and when it arrives. */
export interface OrderDelivery {
  shippingAmount: number;
  shippingAddress: PostalAddress | null;
  deliveryEarliest: string | null;
  deliveryLatest: string | null;
}

const CART_LISTINGS = `query CartListings($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Listing { id fulfillment price { amount } seller { id } } }
}`;
const DELIVERY_ADDRESS = `query DeliveryAddress($userId: ID!, $addressId: ID) {
  deliveryAddress(userId: $userId, addressId: $addressId) { name line1 line2 city region postalCode country phone }
}`;

interface CartListing {
  id: string;
  fulfillment: Fulfillment;
  price: { amount: number };
  seller: { id: string };
}

/**
 * Settles a checkout's delivery before stock is reserved, so that a cart that cannot be delivered
 * reserves nothing: which sellers' goods ship (listings say), where to (the buyer's address book in
 * accounts, or the address given), and whether each of those sellers serves that country (their rates).
 */
export class DeliveryPlanner {
  constructor(
    private readonly db: DataSource,
    private readonly internal: InternalClient,
  ) {}

  async plan(buyerId: string, items: { listingId: string; quantity: number }[], input: DeliveryInput): Promise<Delivery> {
    const listings = await this.cartListings(items.map((item) => item.listingId));
    // a listing not for sale is left to the reservation, which refuses it with its own words
    const shipping = listings.filter((listing) => listing.fulfillment === 'SHIPPING');
    if (shipping.length === 0) return { address: null, rates: new Map() };
    const address = await this.address(buyerId, input);
    const sellers = [...new Set(shipping.map((listing) => listing.seller.id))];
    const rows = await this.db.getRepository(ShippingRateEntity).findBy({ sellerId: In(sellers) });
    const rates = new Map(sellers.map((seller) => [seller, rows.filter((rate) => rate.sellerId === seller)]));
    const quantityOf = new Map(items.map((item) => [item.listingId, item.quantity]));
    for (const seller of sellers) {
      const subtotal = listings.filter((l) => l.seller.id === seller).reduce((sum, l) => sum + l.price.amount * (quantityOf.get(l.id) ?? 0), 0);
      if (!quoteShipping(rates.get(seller)!, address.country, subtotal)) {
        throw badInput(`a shop in this cart does not ship to ${address.country}`, 'shippingAddress');
      }
    }
    return { address, rates };
  }

  private async cartListings(ids: string[]): Promise<CartListing[]> {
    const { _entities } = await this.internal.call<{ _entities: (CartListing | null)[] }>('listings', CART_LISTINGS, {
      representations: [...new Set(ids)].map((id) => ({ __typename: 'Listing', id })),
    });
    return _entities.filter((listing): listing is CartListing => listing !== null);
  }

  private async address(buyerId: string, input: DeliveryInput): Promise<PostalAddress> {
    if (given(input.shippingAddress)) return postalAddress(input.shippingAddress, 'shippingAddress');
    const { deliveryAddress } = await this.internal.call<{ deliveryAddress: PostalAddress | null }>('accounts', DELIVERY_ADDRESS, {
      userId: buyerId,
      addressId: input.shippingAddressId ?? null,
    });
    if (deliveryAddress) return deliveryAddress;
    if (given(input.shippingAddressId)) throw badInput('shippingAddressId is not one of your addresses', 'shippingAddressId');
    throw badInput('items that ship need a delivery address: add one to your address book, or give shippingAddress', 'shippingAddress');
  }
}

/**
 * One seller's order of `subtotal` (its items' total): shipping to the checkout's country when any of
 * its items `ships`, and the delivery window from `now` in calendar days.
 */
export function orderDelivery(delivery: Delivery, sellerId: string, { ships, subtotal }: { ships: boolean; subtotal: number }, now: Date): OrderDelivery {
  if (!ships) return { shippingAmount: 0, shippingAddress: null, deliveryEarliest: null, deliveryLatest: null };
  const { address } = delivery;
  const rates = delivery.rates.get(sellerId);
  const quote = address && rates ? quoteShipping(rates, address.country, subtotal) : undefined;
  // (a listing made to ship between the delivery check and the reservation)
  if (!address || !quote) throw conflict('A listing in this cart changed how it is delivered; check out again');
  return {
    shippingAmount: quote.amount,
    shippingAddress: address,
    deliveryEarliest: quote.days ? isoDate(now, quote.days.min) : null,
    deliveryLatest: quote.days ? isoDate(now, quote.days.max) : null,
  };
}

/** The calendar day `days` after `from`, in UTC, as YYYY-MM-DD. */
function isoDate(from: Date, days: number): string {
  return new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
