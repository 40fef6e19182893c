import { randomUUID } from 'node:crypto';
import type { Viewer } from '../../../lib/auth/viewer';
import type { EventPayloads } from '../../../lib/events/catalog';
import type { EventEnvelope } from '../../../lib/events/types';
import type { Env } from '../../../lib/server/subgraph-module';
import { startLoneSubgraph, type LoneSubgraph } from '../../../lib/testing/lone-subgraph';
import type { PaymentProvider } from '../provider';
import { paymentsModule } from '../subgraph';

/**
 * The payments subgraph alone, on a real database (a fresh one on DATABASE_URL's server, else an
 * in-memory PGlite), called over HTTP with signed viewers as the router and the orders subgraph call it.
 * Orders' status changes are published into the bus by the test, as the orders subgraph would.
 */
export interface PaymentsHarness<Paid extends object = object> extends LoneSubgraph {
  /** Like call, but fails the test with the errors when there are any. */
  ok<T = Record<string, unknown>>(viewer: Viewer | null, query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Opens the purchase's payment as the orders subgraph does at checkout. */
  openPayment(purchase: TestPurchase): Promise<PaymentResult>;
  /** A paid purchase of one order worth `amount` (home-garden: 10 %). */
  paidOrder(amount?: number, sellerId?: string): Promise<{ purchase: TestPurchase; payment: PaymentResult; order: TestOrder } & Paid>;
  /** What the orders subgraph publishes when an order changes status. */
  orderStatus(purchase: TestPurchase, order: TestOrder, status: string, options?: { wait?: boolean }): Promise<OrderStatusChanged>;
  /**
   * The seller onboards for payouts with the test provider, as a seller's browser does: asks for the
   * link, opens it (the subgraph itself stands where the router would), and is sent back: ENABLED.
   */
  onboard(sellerId: string): Promise<void>;
  /** Every event payments has committed so far, delivered. */
  published(): Promise<void>;
  /** The payloads of the events of `type` payments has published that `match`. */
  eventsOf<T extends keyof EventPayloads>(type: T, match: (payload: EventPayloads[T]) => boolean): EventPayloads[T][];
  /** In a transaction, as the subgraph queries: PGlite interleaves the statements of connections outside transactions. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The `n` column of a `SELECT count(*) AS n …`. */
  count(sql: string, params?: unknown[]): Promise<number>;
}

export interface PaymentsOptions<Paid extends object> {
  /** Replaces the provider PAYMENT_PROVIDER would choose. */
  provider?: PaymentProvider;
  /** Set over process.env and a platform fee of 10 %. */
  env?: Env;
  /** How the buyer pays an open payment in `paidOrder`, and what the test learns from it; by default the test provider's card 4242. */
  pay?: (payment: PaymentResult, purchase: TestPurchase) => Promise<Paid>;
}

export type OrderStatusChanged = EventEnvelope<'OrderStatusChanged', EventPayloads['OrderStatusChanged']>;

export async function startPayments<Paid extends object = object>(options: PaymentsOptions<Paid> = {}): Promise<PaymentsHarness<Paid>> {
  const lone = await startLoneSubgraph(paymentsModule({ provider: options.provider }), {
    env: { ...process.env, PLATFORM_FEE_BPS: '1000', ...options.env },
    retryDelaysMs: [20, 50, 100],
  });
  const { subgraph, bus, call } = lone;
  const observed: EventEnvelope[] = [];
  await bus.subscribe('observer', async (event) => void observed.push(event));

  const ok = async <T>(viewer: Viewer | null, query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const result = await call<T>(viewer, query, variables);
    if (result.errors?.length || !result.data) throw new Error(JSON.stringify(result.errors));
    return result.data;
  };
  const openPayment = async (purchase: TestPurchase) =>
    (await ok<{ createPayment: PaymentResult }>(ORDERS_SERVICE, CREATE, { input: purchase.input })).createPayment;
  const pay =
    options.pay ??
    (async (payment: PaymentResult, purchase: TestPurchase) => {
      await ok(buyerViewer(purchase.buyerId), CONFIRM, { id: payment.id, card: '4242424242424242' });
      // without a pay of their own, Paid is the default: nothing to add
      return {} as Paid;
    });
  const query = <T>(sql: string, params: unknown[] = []): Promise<T[]> => subgraph.db.transaction((m) => m.query(sql, params));

  return {
    ...lone,
    ok,
    openPayment,
    async paidOrder(amount = 100, sellerId = randomUUID()) {
      const purchase = purchaseOf([{ sellerId, lines: [{ categorySlug: 'home-garden', amount }] }]);
      const payment = await openPayment(purchase);
      const paid = await pay(payment, purchase);
      return { purchase, payment, order: purchase.orders[0], ...paid };
    },
    async orderStatus(purchase, order, status, { wait = true } = {}) {
      const event: OrderStatusChanged = {
        id: randomUUID(),
        type: 'OrderStatusChanged',
        source: 'orders',
        occurredAt: new Date().toISOString(),
        payload: {
          orderId: order.orderId,
          purchaseId: purchase.purchaseId,
          buyerId: purchase.buyerId,
          sellerId: order.sellerId,
          previousStatus: null,
          status,
          at: new Date().toISOString(),
          items: [],
          total: { amount: order.lines.reduce((s, l) => s + l.amount, 0), currency: 'USD' },
        },
      };
      await bus.publish([event]);
      if (wait) await bus.settled();
      return event;
    },
    async onboard(sellerId) {
      const { startPayoutOnboarding: link } = await ok<{ startPayoutOnboarding: { url: string } }>(sellerViewer(sellerId), START_ONBOARDING, {
        returnUrl: 'https://shop.example/payouts/done',
        refreshUrl: 'https://shop.example/payouts/again',
      });
      const response = await fetch(link.url, { redirect: 'manual' });
      if (response.headers.get('location') !== 'https://shop.example/payouts/done') throw new Error(`onboarding did not complete: ${response.status}`);
    },
    async published() {
      await subgraph.outbox.flush();
      await bus.settled();
    },
    eventsOf<T extends keyof EventPayloads>(type: T, match: (payload: EventPayloads[T]) => boolean) {
      return observed.filter((e) => e.type === type).map((e) => e.payload as EventPayloads[T]).filter(match);
    },
    query,
    count: async (sql, params = []) => Number((await query<{ n: string }>(sql, params))[0].n),
  };
}

// --- the marketplace around payments --------------------------------------------------------------

export const ORDERS_SERVICE: Viewer = { userId: 'service:orders', roles: ['service'], scopes: ['internal'] };
export const buyerViewer = (userId: string): Viewer => ({ userId, roles: ['buyer'], scopes: ['buyer'] });
export const sellerViewer = (sellerId: string): Viewer => ({
  userId: randomUUID(),
  roles: ['buyer', 'seller'],
  scopes: ['buyer', 'seller'],
  seller: { id: sellerId, currency: 'USD' },
});

export interface TestOrder {
  orderId: string;
  sellerId: string;
  lines: { categorySlug: string; amount: number }[];
}
export interface TestPurchase {
  purchaseId: string;
  buyerId: string;
  orders: TestOrder[];
  input: Record<string, unknown>;
}

export function purchaseOf(orders: { lines: { categorySlug: string; amount: number }[]; sellerId?: string }[], buyerId: string = randomUUID()): TestPurchase {
  const purchaseId = randomUUID();
  const withIds = orders.map((o) => ({ orderId: randomUUID(), sellerId: o.sellerId ?? randomUUID(), lines: o.lines }));
  return { purchaseId, buyerId, orders: withIds, input: { purchaseId, buyerId, currency: 'USD', orders: withIds } };
}

// --- documents ------------------------------------------------------------------------------------

export const CREATE = `mutation ($input: CreatePaymentInput!) {
  createPayment(input: $input) { id status clientSecret provider amount { amount currency formatted } }
}`;
export const CONFIRM = `mutation ($id: ID!, $card: String!) { confirmTestPayment(paymentId: $id, card: $card) { id status amount { amount currency } } }`;
export const REFUND = `mutation ($orderId: ID!, $amount: Int, $reason: String) {
  refundOrder(orderId: $orderId, amount: $amount, reason: $reason) { id status amount { amount currency } reason createdAt }
}`;

export const START_ONBOARDING = `mutation ($returnUrl: String!, $refreshUrl: String!) {
  startPayoutOnboarding(returnUrl: $returnUrl, refreshUrl: $refreshUrl) { url expiresAt }
}`;
export const PAYOUT_ACCOUNT = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Seller { payoutAccount { status payoutsEnabled requirements } } }
}`;

export interface PayoutAccountView {
  status: string;
  payoutsEnabled: boolean;
  requirements: string[];
}

/** The seller's payoutAccount as `viewer` sees it (null: not theirs to see). */
export async function payoutAccountOf(h: Pick<PaymentsHarness, 'ok'>, viewer: Viewer | null, sellerId: string): Promise<PayoutAccountView | null> {
  const { _entities } = await h.ok<{ _entities: { payoutAccount: PayoutAccountView | null }[] }>(viewer, PAYOUT_ACCOUNT, {
    representations: [{ __typename: 'Seller', id: sellerId }],
  });
  return _entities[0].payoutAccount;
}

export interface PaymentResult {
  id: string;
  status: string;
  clientSecret: string | null;
  provider: string;
  amount: { amount: number; currency: string; formatted: string };
}
export interface RefundResult {
  id: string;
  status: string;
  amount: { amount: number; currency: string };
  reason: string | null;
  createdAt: string;
}
