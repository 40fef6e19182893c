import { formatMoney, type Money } from '../../lib/money';
import type { EventPayloads } from '../../lib/events/catalog';
import type { NotificationKind } from './kinds';

/** What a notification says: its title (an email's subject too) and its body. */
export interface Content {
  title: string;
  body: string;
}

const shortId = (id: string) => id.slice(0, 8);
type Change = EventPayloads['AccountSecurityChanged']['change'];

const SECURITY: Record<Change, Content> = {
  NEW_SIGN_IN: { title: 'New sign-in to your account', body: 'Someone signed in to your account. If it was not you, reset your password now.' },
  PASSWORD_CHANGED: { title: 'Your password was changed', body: 'Your password was changed and your other sessions ended. If it was not you, reset it now.' },
  PASSWORD_RESET: { title: 'Your password was reset', body: 'Your password was reset with an emailed link and every session ended. If it was not you, contact us.' },
  TWO_FACTOR_ENABLED: { title: 'Two-factor sign-in is on', body: 'Signing in now takes a code from your authenticator app. Keep your recovery codes safe.' },
  TWO_FACTOR_DISABLED: { title: 'Two-factor sign-in is off', body: 'Signing in no longer takes a code. If it was not you, reset your password now.' },
  EMAIL_VERIFIED: { title: 'Your email address is verified', body: 'Thank you: your email address is verified.' },
};

const DISPUTE_REASONS: Record<string, string> = {
  NOT_RECEIVED: 'not received',
  NOT_AS_DESCRIBED: 'not as described',
  DAMAGED: 'damaged',
  OTHER: 'another reason',
};
const DISPUTE_ROLES: Record<string, string> = { BUYER: 'The buyer', SELLER: 'The seller', OPERATOR: 'The marketplace' };

/**
 * The words of every kind, in one place, so that the app, the live feed and email say the same thing.
 * Each takes what its event brings.
 */
export const TEMPLATES = {
  NEW_ORDER: (d: { orderId: string; total: Money }) => ({
    title: `New order ${shortId(d.orderId)}`,
    body: `An order of ${formatMoney(d.total)} is paid and waits for you to accept it.`,
  }),
  ORDER_ACCEPTED: (d: { orderId: string }) => ({
    title: `Order ${shortId(d.orderId)} accepted`,
    body: 'The seller accepted your order and is preparing it.',
  }),
  ORDER_SHIPPED: (d: { orderId: string; carrier: string | null; trackingNumber: string | null }) => ({
    title: `Order ${shortId(d.orderId)} shipped`,
    body:
      d.carrier || d.trackingNumber
        ? `Your order is on its way with ${d.carrier ?? 'the carrier'}${d.trackingNumber ? `, tracking number ${d.trackingNumber}` : ''}.`
        : 'Your order is on its way.',
  }),
  ORDER_DELIVERED: (d: { orderId: string }) => ({
    title: `Order ${shortId(d.orderId)} delivered`,
    body: 'The buyer has the order. The money is released to you once escrow ends.',
  }),
  ORDER_CANCELLED: (d: { orderId: string; reason?: string }) => ({
    title: `Order ${shortId(d.orderId)} cancelled`,
    body: d.reason ? `The order was cancelled: ${d.reason}` : 'The order was cancelled.',
  }),
  FUNDS_RELEASED: (d: { orderId: string; net: Money }) => ({
    title: `${formatMoney(d.net)} released`,
    body: `Escrow released ${formatMoney(d.net)} for order ${shortId(d.orderId)} to your balance.`,
  }),
  REFUND_ISSUED: (d: { orderId: string; amount: Money }) => ({
    title: `Refund of ${formatMoney(d.amount)}`,
    body: `${formatMoney(d.amount)} for order ${shortId(d.orderId)} is on its way back to you.`,
  }),
  REVIEW_RECEIVED: (d: { orderId: string; rating: number }) => ({
    title: `New ${d.rating}-star review`,
    body: `The buyer of order ${shortId(d.orderId)} reviewed your shop: ${d.rating} of 5.`,
  }),
  NEW_MESSAGE: (d: { orderId: string; from: string; excerpt: string }) => ({
    title: `New message about order ${shortId(d.orderId)}`,
    body: `${d.from}: ${d.excerpt}`,
  }),
  TRANSFER_SENT: (d: { amount: Money }) => ({
    title: `${formatMoney(d.amount)} sent to your bank`,
    body: `A transfer of ${formatMoney(d.amount)} left for your payout account.`,
  }),
  LOW_STOCK: (d: { title: string; stock: number }) => ({
    title: `Low stock: ${d.title}`,
    body: d.stock === 0 ? `"${d.title}" is sold out.` : `Only ${d.stock} left of "${d.title}".`,
  }),
  PURCHASE_EXPIRING: (d: { expiresAt: Date }) => ({
    title: 'Your purchase is about to expire',
    body: `Pay before ${d.expiresAt.toISOString().slice(11, 16)} UTC, or the items go back on sale.`,
  }),
  ACCOUNT_SECURITY: (d: { change: Change }) => SECURITY[d.change],
  LISTING_REMOVED: (d: { title: string; reason: string }) => ({
    title: `Your listing "${d.title}" was removed`,
    body: `The marketplace removed "${d.title}": it is no longer in search and cannot be bought. Reason: ${d.reason}`,
  }),
  SELLER_SUSPENDED: (d: { reason: string }) => ({
    title: 'Your shop is suspended',
    body: `Your listings are out of search and cannot be bought, and transfers to you are paused; orders already paid can still be fulfilled. Reason: ${d.reason}`,
  }),
  SELLER_REINSTATED: () => ({
    title: 'Your shop is reinstated',
    body: 'Your listings are back in search and for sale, and transfers to you resume.',
  }),
  DISPUTE_OPENED: (d: { orderId: string; source: 'BUYER' | 'PROVIDER'; reason: string; amount: Money; to: 'BUYER' | 'SELLER' }) => ({
    title: `Dispute opened on order ${shortId(d.orderId)}`,
    body:
      d.source === 'PROVIDER'
        ? `${d.to === 'BUYER' ? 'Your bank' : "The buyer's bank"} disputed ${formatMoney(d.amount)} of the payment. The money is held until the bank decides.`
        : d.to === 'BUYER'
          ? `Your dispute (${DISPUTE_REASONS[d.reason] ?? d.reason}) is open: the seller has 3 days to answer, then the marketplace decides. The money stays held meanwhile.`
          : `The buyer opened a dispute (${DISPUTE_REASONS[d.reason] ?? d.reason}). The money is held until it is resolved: answer in the dispute's thread.`,
  }),
  DISPUTE_UPDATED: (d: { orderId: string; role: string; excerpt: string }) => ({
    title: `New message in the dispute on order ${shortId(d.orderId)}`,
    body: `${DISPUTE_ROLES[d.role] ?? 'Someone'}: ${d.excerpt}`,
  }),
  DISPUTE_RESOLVED: (d: { orderId: string; outcome: string; refunded: Money }) => ({
    title: `Dispute on order ${shortId(d.orderId)} resolved`,
    body:
      d.outcome === 'RELEASE_TO_SELLER'
        ? 'The dispute was decided for the seller: the money is released to them.'
        : d.outcome === 'REFUND_BUYER'
          ? `The dispute was decided for the buyer: ${formatMoney(d.refunded)} goes back to them.`
          : `The dispute was settled: ${formatMoney(d.refunded)} goes back to the buyer and the rest to the seller.`,
  }),
} satisfies Partial<Record<NotificationKind, (data: never) => Content>>;

/** The emails accounts asks for: not notifications (nothing in the app), always sent. */
export const ACCOUNT_EMAILS = {
  VERIFY_EMAIL: (d: { displayName: string; url: string }) => ({
    title: 'Please verify your email address',
    body: `Hello ${d.displayName}, open this link to verify your email address: ${d.url}`,
  }),
  RESET_PASSWORD: (d: { displayName: string; url: string }) => ({
    title: 'Reset your password',
    body: `Hello ${d.displayName}, open this link within 30 minutes to set a new password: ${d.url}\nIf you did not ask, ignore this email.`,
  }),
} satisfies Record<EventPayloads['AccountEmailRequested']['purpose'], (data: never) => Content>;
