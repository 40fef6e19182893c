import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Money } from '../../lib/money';
import type { LedgerKind } from './entities';

/**
 * The double-entry ledger: every movement of money is one transaction whose entries sum to zero per
 * currency, and a balance is the sum of an account's entries (nothing cached that could drift). The
 * database checks the sum again when the transaction commits (see the migration).
 *
 *   charge   buyer −total            escrow:<seller> +net, fees-pending +fee   (per order)
 *   release  escrow:<seller> −net → seller:<seller> +net;  fees-pending −fee → platform-revenue +fee
 *   refund   escrow:<seller> −net share, fees-pending −fee share (before release), or
 *            seller:<seller> and platform-revenue likewise (after release), or
 *            paid-out:<seller> and platform-revenue (after the transfer: a reversal);  buyer +refund
 *   transfer seller:<seller> −share → paid-out:<seller> +share   (per order it pays)
 *   transfer returned (the provider refused it)  the reverse
 *   chargeback lost  as a refund (escrow and fees-pending before release; the seller's available share of
 *            the order and platform-revenue after it; chargeback-losses for what was paid out already);  buyer +amount
 *   chargeback recovered  what was paid out, taken back from the seller's transfer (a reversal):
 *            paid-out:<seller> −share → chargeback-losses +share
 */
export const accounts = {
  /** Outside money: what the buyer paid in is negative, what went back to them positive. */
  buyer: (userId: string) => `buyer:${userId}`,
  /** The seller's share while the order awaits delivery. */
  escrow: (sellerId: string) => `escrow:${sellerId}`,
  /** The platform's fee while the order awaits delivery. */
  feesPending: 'fees-pending',
  /** The seller's released money, not yet paid out. */
  seller: (sellerId: string) => `seller:${sellerId}`,
  /** What was transferred to the seller's payout account, less what refunds took back. */
  paidOut: (sellerId: string) => `paid-out:${sellerId}`,
  platformRevenue: 'platform-revenue',
  /** What chargebacks the platform lost cost it beyond what it took back from the seller, at once or by a reversal since (negative: a loss). */
  chargebackLosses: 'chargeback-losses',
} as const;

export interface Entry {
  account: string;
  currency: string;
  /** Signed minor units: positive flows into the account. */
  amount: number;
  orderId?: string | null;
}

export interface OrderShare {
  orderId: string;
  sellerId: string;
  fee: number;
  net: number;
}

export function isBalanced(entries: readonly Entry[]): boolean {
  const sums = new Map<string, number>();
  for (const entry of entries) {
    if (!Number.isSafeInteger(entry.amount)) return false;
    sums.set(entry.currency, (sums.get(entry.currency) ?? 0) + entry.amount);
  }
  return [...sums.values()].every((sum) => sum === 0);
}

/** Zero amounts (a zero-fee category) move nothing and are left out. */
const moving = (entries: Entry[]) => entries.filter((entry) => entry.amount !== 0);

export function chargeEntries(payment: { buyerId: string; currency: string; amount: number }, orders: readonly OrderShare[]): Entry[] {
  const { currency } = payment;
  return moving([
    { account: accounts.buyer(payment.buyerId), currency, amount: -payment.amount },
    ...orders.flatMap((o) => [
      { account: accounts.escrow(o.sellerId), currency, amount: o.net, orderId: o.orderId },
      { account: accounts.feesPending, currency, amount: o.fee, orderId: o.orderId },
    ]),
  ]);
}

export function releaseEntries(order: { orderId: string; sellerId: string; currency: string }, net: number, fee: number): Entry[] {
  const { orderId, currency } = order;
  return moving([
    { account: accounts.escrow(order.sellerId), currency, amount: -net, orderId },
    { account: accounts.seller(order.sellerId), currency, amount: net, orderId },
    { account: accounts.feesPending, currency, amount: -fee, orderId },
    { account: accounts.platformRevenue, currency, amount: fee, orderId },
  ]);
}

export function refundEntries(
  order: { orderId: string; sellerId: string; buyerId: string; currency: string },
  refund: { amount: number; feeShare: number; fromEscrow: boolean; reversedTransferId: string | null },
): Entry[] {
  const { orderId, currency } = order;
  const sellerAccount = refund.fromEscrow
    ? accounts.escrow(order.sellerId)
    : refund.reversedTransferId
      ? accounts.paidOut(order.sellerId)
      : accounts.seller(order.sellerId);
  const feeAccount = refund.fromEscrow ? accounts.feesPending : accounts.platformRevenue;
  return moving([
    { account: sellerAccount, currency, amount: -(refund.amount - refund.feeShare), orderId },
    { account: feeAccount, currency, amount: -refund.feeShare, orderId },
    { account: accounts.buyer(order.buyerId), currency, amount: refund.amount, orderId },
  ]);
}

/** A transfer pays each of its orders' shares out of the seller's available account; returned, the reverse. */
export function transferEntries(sellerId: string, currency: string, shares: readonly { orderId: string; amount: number }[], returned = false): Entry[] {
  const sign = returned ? -1 : 1;
  return moving(
    shares.flatMap(({ orderId, amount }) => [
      { account: accounts.seller(sellerId), currency, amount: -sign * amount, orderId },
      { account: accounts.paidOut(sellerId), currency, amount: sign * amount, orderId },
    ]),
  );
}

/**
 * The platform fee's part of a refund, so that seller and platform pay it back in proportion to the
 * items refunded (the fee was taken on items only; refunds count against the items first, shipping
 * last). Counted cumulatively over the order's refunds: the fee refunded so far is always
 * round half up(min(refunded so far, items) × fee / items), computed exactly in integers (refunds
 * still PENDING count as refunded). Several partial refunds never return more fee than the order had
 * (nor more net), and refunding the whole order returns exactly the whole fee and the whole net.
 */
export function refundFeeShare(
  order: { amount: number; fee: number; shipping?: number },
  before: { refunded: number; feeRefunded: number },
  refund: number,
): number {
  const after = before.refunded + refund;
  if (!(refund > 0 && after <= order.amount)) throw new RangeError(`cannot refund ${refund} of ${order.amount - before.refunded} left`);
  const items = order.amount - (order.shipping ?? 0);
  const feeAfter = items > 0 ? roundHalfUpRatio(BigInt(Math.min(after, items)) * BigInt(order.fee), BigInt(items)) : order.fee;
  // A refund that failed at the provider leaves the others' shares as they were: the bounds keep every
  // share within what the refund and the remaining fee allow, and the last refund still squares both.
  return Math.min(Math.max(feeAfter - before.feeRefunded, 0), refund, order.fee - before.feeRefunded);
}

function roundHalfUpRatio(numerator: bigint, denominator: bigint): number {
  return Number((2n * numerator + denominator) / (2n * denominator));
}

/** Writes one balanced transaction; false when its reference was posted before (nothing is written twice). */
export async function postTransaction(
  manager: EntityManager,
  transaction: { reference: string; kind: LedgerKind; paymentId: string | null; orderId?: string | null; entries: Entry[] },
): Promise<boolean> {
  if (!isBalanced(transaction.entries)) throw new Error(`ledger transaction ${transaction.reference} does not balance`);
  const inserted: { id: string }[] = await manager.query(
    `INSERT INTO ledger_transactions (id, reference, kind, payment_id, order_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (reference) DO NOTHING RETURNING id`,
    [randomUUID(), transaction.reference, transaction.kind, transaction.paymentId, transaction.orderId ?? null],
  );
  if (inserted.length === 0) return false;
  if (transaction.entries.length === 0) return true;
  const values: unknown[] = [];
  const rows = transaction.entries.map((entry, i) => {
    values.push(entry.account, entry.currency, entry.amount, entry.orderId ?? null);
    return `(gen_random_uuid(), $1, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4}, $${4 * i + 5})`;
  });
  await manager.query(
    `INSERT INTO ledger_entries (id, transaction_id, account, currency, amount, order_id) VALUES ${rows.join(', ')}`,
    [inserted[0].id, ...values],
  );
  return true;
}

/**
 * What the ledger holds for the seller of a released order in their available account: the released
 * net less their share of the refunds settled since. This is what their transfer pays them.
 */
export async function releasedToSeller(manager: EntityManager, order: { orderId: string; sellerId: string; currency: string }): Promise<number> {
  const [{ total }]: { total: string }[] = await manager.query(
    `SELECT coalesce(sum(amount), 0)::text AS total FROM ledger_entries WHERE account = $1 AND currency = $2 AND order_id = $3`,
    [accounts.seller(order.sellerId), order.currency, order.orderId],
  );
  return Number(total);
}

/** What the ledger holds as paid out to the seller from one order: its transfer's share less what came back since. */
export async function paidOutToSeller(manager: EntityManager, order: { orderId: string; sellerId: string; currency: string }): Promise<number> {
  const [{ total }]: { total: string }[] = await manager.query(
    `SELECT coalesce(sum(amount), 0)::text AS total FROM ledger_entries WHERE account = $1 AND currency = $2 AND order_id = $3`,
    [accounts.paidOut(order.sellerId), order.currency, order.orderId],
  );
  return Number(total);
}

/** Account → currency → balance, summed from the entries. */
export type Balances = Map<string, Map<string, number>>;

export async function balancesOf(manager: EntityManager, accountNames: readonly string[]): Promise<Balances> {
  const rows: { account: string; currency: string; balance: string }[] = await manager.query(
    `SELECT account, currency, sum(amount)::text AS balance FROM ledger_entries WHERE account = ANY($1::text[]) GROUP BY account, currency`,
    [accountNames],
  );
  const balances: Balances = new Map();
  for (const row of rows) {
    if (!balances.has(row.account)) balances.set(row.account, new Map());
    balances.get(row.account)!.set(row.currency, Number(row.balance));
  }
  return balances;
}

export interface SellerBalanceView {
  pending: Money;
  available: Money;
  paidOut: Money;
}

/** In the seller's currency: a seller with no entries has zero of it. */
export function sellerBalance(balances: Balances, sellerId: string, currency: string): SellerBalanceView {
  const of = (account: string): Money => ({ amount: balances.get(account)?.get(currency) ?? 0, currency });
  return { pending: of(accounts.escrow(sellerId)), available: of(accounts.seller(sellerId)), paidOut: of(accounts.paidOut(sellerId)) };
}

/** Transactions whose entries do not sum to zero in some currency: always none (operators and tests check). */
export async function unbalancedTransactions(manager: EntityManager): Promise<string[]> {
  const rows: { transaction_id: string }[] = await manager.query(
    `SELECT DISTINCT transaction_id FROM ledger_entries GROUP BY transaction_id, currency HAVING sum(amount) <> 0`,
  );
  return rows.map((r) => r.transaction_id);
}
