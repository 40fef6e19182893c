import type { Viewer } from '../../lib/auth/viewer';
import type { OrderEntity } from './entities';
import type { OrderStatus } from './order-state';
import { roleIn } from './transitions';

/** Statuses from payment on, when the seller has goods to send and needs to know where. */
const PAID_OR_LATER: ReadonlySet<OrderStatus> = new Set(['PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'REFUNDED']);

/** An order's delivery address: its buyer always, its seller once paid, nobody else. */
export function seesAddress(order: OrderEntity, viewer: Viewer | null): boolean {
  const role = roleIn(order, viewer);
  return role === 'BUYER' || (role === 'SELLER' && PAID_OR_LATER.has(order.status));
}

/** Where carriers the marketplace knows show a parcel, by the carrier's name in any case and spacing. */
const TRACKING_PAGES: Record<string, (number: string) => string> = {
  ups: (n) => `https://www.ups.com/track?tracknum=${n}`,
  usps: (n) => `https://tools.usps.com/go/TrackConfirmAction?tLabels=${n}`,
  fedex: (n) => `https://www.fedex.com/fedextrack/?trknbr=${n}`,
  dhl: (n) => `https://www.dhl.com/en/express/tracking.html?AWB=${n}`,
};

export function trackingUrl(carrier: string | null, trackingNumber: string | null): string | null {
  if (!carrier || !trackingNumber) return null;
  const page = TRACKING_PAGES[carrier.toLowerCase().replace(/[^a-z]/g, '')];
  return page ? page(encodeURIComponent(trackingNumber)) : null;
}
