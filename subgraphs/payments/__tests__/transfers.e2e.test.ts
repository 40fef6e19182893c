import { randomUUID } from 'node:crypto';
import { codes } from '../../../lib/client/graphql-client';
import { eventually } from '../../../lib/testing/eventually';
import { unbalancedTransactions } from '../ledger';
import { PayoutAccounts } from '../payout-accounts';
import { PayoutSchedules, transferCutoff } from '../payout-schedules';
import { PaymentRefusedError } from '../provider';
import { TestPaymentProvider } from '../test-provider';
import { REFUSED_TRANSFER_BACKOFF_MS, SellerTransfers } from '../transfers';
import { buyerViewer, REFUND, sellerViewer, startPayments, type PaymentsHarness } from './harness';

/**
 * Transfers to sellers in the ledger (available → paid out), their history, schedules, reversals on
 * refunds, and a provider that loses answers or refuses. The test provider, wrapped to misbehave.
 */

class TransferringProvider extends TestPaymentProvider {
  /** Every transfer call's idempotency key, in order. */
  readonly calls: string[] = [];
  /** Distinct transfers the provider made (a repeated key is the same one). */
  readonly made = new Set<string>();
  /** The next transfers are made, but their answer is lost: the outcome is unknown to the caller. */
  loseAnswers = 0;
  /** The next transfers are refused: nothing is made. */
  refuse = 0;
  /** The provider is unreachable: nothing is made, the outcome unknown to the caller. */
  down = false;

  override async transfer(input: Parameters<TestPaymentProvider['transfer']>[0]) {
    this.calls.push(input.idempotencyKey);
    if (this.down) throw new Error('connect ECONNREFUSED (the provider is down)');
    if (this.refuse > 0) {
      this.refuse -= 1;
      throw new PaymentRefusedError('the destination account is closed');
    }
    const answer = await super.transfer(input);
    this.made.add(answer.reference);
    if (this.loseAnswers > 0) {
      this.loseAnswers -= 1;
      throw new Error('the provider did not answer in time');
    }
    return answer;
  }
}

const provider = new TransferringProvider();
let h: PaymentsHarness;
/** The sweep the subgraph runs in the background, run by the tests when they choose. */
let sweep: SellerTransfers;

beforeAll(async () => {
  h = await startPayments({ provider });
  const accounts = new PayoutAccounts(h.subgraph.db);
  sweep = new SellerTransfers(h.subgraph.db, provider, new PayoutSchedules(h.subgraph.db), (id) => accounts.canBePaid(id), h.logger);
});

afterAll(() => h?.stop());

afterEach(async () => {
  expect(await h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  provider.loseAnswers = 0;
  provider.refuse = 0;
  provider.down = false;
});

const MONEY = `query ($representations: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $representations) {
    ... on Seller {
      balance { pending { amount } available { amount } paidOut { amount currency } }
      payoutSchedule
      transfers(first: $first, after: $after) {
        totalCount
        edges { node { id amount { amount currency } status createdAt orders { id } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}`;
const SET_SCHEDULE = `mutation ($schedule: PayoutSchedule!) { setPayoutSchedule(schedule: $schedule) }`;

interface TransferNode {
  id: string;
  amount: { amount: number; currency: string };
  status: string;
  createdAt: string;
  orders: { id: string }[];
}
interface SellerMoney {
  balance: { pending: { amount: number }; available: { amount: number }; paidOut: { amount: number; currency: string } } | null;
  payoutSchedule: string | null;
  transfers: { totalCount: number; edges: { node: TransferNode }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } | null;
}

async function moneyOf(sellerId: string, viewer = sellerViewer(sellerId), page: { first?: number; after?: string } = {}): Promise<SellerMoney> {
  const { _entities } = await h.ok<{ _entities: SellerMoney[] }>(viewer, MONEY, { representations: [{ __typename: 'Seller', id: sellerId }], ...page });
  return _entities[0];
}

/** An onboarded seller's order of `amount` (10 % fee), paid and delivered. */
async function deliveredOrder(sellerId: string, amount: number) {
  const paid = await h.paidOrder(amount, sellerId);
  await h.orderStatus(paid.purchase, paid.order, 'DELIVERED');
  return paid;
}

const transferRows = (sellerId: string) =>
  h.query<{ id: string; status: string; amount: number; idempotency_key: string; reversed_amount: number }>(
    `SELECT id, status, amount, idempotency_key, reversed_amount FROM transfers WHERE seller_id = $1 ORDER BY created_at`,
    [sellerId],
  );

describe('a transfer per order (PER_ORDER, the default)', () => {
  test('delivery moves the net from available to paid out, in the ledger and in the history', async () => {
    const sellerId = randomUUID();
    await h.onboard(sellerId);
    const { order } = await deliveredOrder(sellerId, 5000);
    await eventually(async () => expect((await transferRows(sellerId))[0]?.status).toBe('PAID'));
    expect((await moneyOf(sellerId)).balance).toEqual({ pending: { amount: 0 }, available: { amount: 0 }, paidOut: { amount: 4500, currency: 'USD' } });

    const money = await moneyOf(sellerId);
    expect(money.payoutSchedule).toBe('PER_ORDER');
    expect(money.transfers).toMatchObject({ totalCount: 1, pageInfo: { hasNextPage: false } });
    expect(money.transfers!.edges[0].node).toMatchObject({ amount: { amount: 4500, currency: 'USD' }, status: 'PAID', orders: [{ id: order.orderId }] });
    const [transfer] = await transferRows(sellerId);
    expect(await h.query(`SELECT kind, order_id FROM ledger_transactions WHERE reference = $1`, [`transfer:${transfer.id}`])).toEqual([
      { kind: 'TRANSFER', order_id: order.orderId },
    ]);
    expect(provider.calls.filter((key) => key === transfer.idempotency_key)).toHaveLength(1);
  });

  test('refunds after the transfer take the seller’s share back from it: paid out goes down, REVERSED once all of it is back', async () => {
    const sellerId = randomUUID();
    await h.onboard(sellerId);
    const { order } = await deliveredOrder(sellerId, 1000);
    await eventually(async () => expect((await transferRows(sellerId))[0]?.status).toBe('PAID'));

    // fee share round(10.5) = 11: the seller gives back 94
    await h.ok(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 105 });
    expect((await moneyOf(sellerId)).balance).toMatchObject({ available: { amount: 0 }, paidOut: { amount: 806 } });
    expect((await transferRows(sellerId))[0]).toMatchObject({ status: 'PAID', reversed_amount: 94 });

    await h.ok(sellerViewer(sellerId), REFUND, { orderId: order.orderId });
    expect((await moneyOf(sellerId)).balance).toMatchObject({ available: { amount: 0 }, paidOut: { amount: 0 } });
    expect((await transferRows(sellerId))[0]).toMatchObject({ status: 'REVERSED', reversed_amount: 900 });
    expect((await moneyOf(sellerId)).transfers!.edges[0].node.status).toBe('REVERSED');
  });
});

describe('the provider misbehaving', () => {
  test('an answer lost mid-transfer: PENDING, asked again with the same key, made once', async () => {
    const sellerId = randomUUID();
    await h.onboard(sellerId);
    provider.loseAnswers = 1;
    const made = provider.made.size;
    await deliveredOrder(sellerId, 2000);
    // made at the provider, unconfirmed here: PENDING, its money committed
    await eventually(async () => expect(await transferRows(sellerId)).toMatchObject([{ status: 'PENDING' }]));
    expect((await moneyOf(sellerId)).balance).toMatchObject({ available: { amount: 0 }, paidOut: { amount: 1800 } });
    // the sweep asks again: the same transfer, the same key
    expect(await sweep.retryTransfers(0, sellerId)).toBe(1);
    const [transfer] = await transferRows(sellerId);
    expect(transfer.status).toBe('PAID');
    expect(provider.calls.filter((key) => key === transfer.idempotency_key).length).toBeGreaterThanOrEqual(2);
    expect(provider.made.size - made).toBe(1);
    expect(await transferRows(sellerId)).toHaveLength(1);
    expect((await moneyOf(sellerId)).balance).toMatchObject({ available: { amount: 0 }, paidOut: { amount: 1800 } });
  });

  test('a provider down: the transfer waits PENDING (its money committed), and the sweep sends it once the provider is back', async () => {
    const sellerId = randomUUID();
    await h.onboard(sellerId);
    provider.down = true;
    const { purchase, order } = await h.paidOrder(3000, sellerId);
    await h.orderStatus(purchase, order, 'DELIVERED', { wait: false });
    await eventually(async () => expect(await transferRows(sellerId)).toMatchObject([{ status: 'PENDING' }]));
    expect((await moneyOf(sellerId)).transfers!.edges[0].node.status).toBe('PENDING');
    const [pending] = await transferRows(sellerId);
    // a refund cannot come off a transfer whose outcome is unknown: it waits
    expect(codes(await h.call(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 100 }))).toEqual(['CONFLICT']);

    provider.down = false;
    expect(await sweep.retryTransfers(0, sellerId)).toBe(1);
    expect(await transferRows(sellerId)).toMatchObject([{ id: pending.id, status: 'PAID' }]);
    expect(provider.calls.filter((key) => key === pending.idempotency_key).length).toBeGreaterThanOrEqual(2);
    // swept again: nothing more is sent
    const calls = provider.calls.length;
    expect(await sweep.retryTransfers(0, sellerId)).toBe(0);
    expect(provider.calls.length).toBe(calls);
    await h.bus.settled();
  });

  test('a refusal: FAILED, the money back in available; after a pause a new transfer with a new key pays it', async () => {
    const sellerId = randomUUID();
    await h.onboard(sellerId);
    provider.refuse = 1;
    const { order } = await deliveredOrder(sellerId, 4000);
    await eventually(async () => expect(await transferRows(sellerId)).toMatchObject([{ status: 'FAILED' }]));
    expect((await moneyOf(sellerId)).balance).toMatchObject({ available: { amount: 3600 }, paidOut: { amount: 0 } });
    const [failed] = await transferRows(sellerId);
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE reference = $1 AND kind = 'TRANSFER_RETURNED'`, [`transfer-returned:${failed.id}`])).toBe(1);

    // not hammered: the sweep waits after a refusal
    expect(await sweep.retryTransfers(0, sellerId)).toBe(0);
    expect(await sweep.retryTransfers(0, sellerId, new Date(Date.now() + REFUSED_TRANSFER_BACKOFF_MS + 1000))).toBe(1);
    const rows = await transferRows(sellerId);
    expect(rows.map((r) => r.status)).toEqual(['FAILED', 'PAID']);
    expect(rows[1].idempotency_key).not.toBe(failed.idempotency_key);
    expect((await moneyOf(sellerId)).balance).toMatchObject({ available: { amount: 0 }, paidOut: { amount: 3600 } });
    const history = (await moneyOf(sellerId)).transfers!;
    expect(history.edges.map((e) => e.node.status)).toEqual(['PAID', 'FAILED']);
    expect(history.edges.map((e) => e.node.orders)).toEqual([[{ id: order.orderId }], []]);
  });
});

describe('schedules', () => {
  test('DAILY: nothing goes out on release; after the day ends, one transfer pays everything released in it', async () => {
    const sellerId = randomUUID();
    await h.onboard(sellerId);
    expect(await h.ok(sellerViewer(sellerId), SET_SCHEDULE, { schedule: 'DAILY' })).toEqual({ setPayoutSchedule: 'DAILY' });
    const first = await deliveredOrder(sellerId, 1000);
    const second = await deliveredOrder(sellerId, 3000);
    await h.published();
    expect(await transferRows(sellerId)).toEqual([]);
    expect(await sweep.retryTransfers(0, sellerId)).toBe(0);
    expect((await moneyOf(sellerId)).balance).toMatchObject({ available: { amount: 3600 }, paidOut: { amount: 0 } });

    const tomorrow = new Date(Date.now() + 86_400_000);
    expect(await sweep.retryTransfers(0, sellerId, tomorrow)).toBe(1);
    const money = await moneyOf(sellerId);
    expect(money.balance).toMatchObject({ available: { amount: 0 }, paidOut: { amount: 3600 } });
    expect(money.transfers!.edges).toHaveLength(1);
    const [node] = money.transfers!.edges.map((e) => e.node);
    expect(node).toMatchObject({ amount: { amount: 3600 }, status: 'PAID' });
    expect(node.orders.map((o) => o.id).sort()).toEqual([first.order.orderId, second.order.orderId].sort());
  });

  test('the periods: a day from midnight UTC, a week from Monday', () => {
    const wednesday = new Date('2026-12-02T15:30:00Z');
    expect(transferCutoff('PER_ORDER', wednesday)).toEqual(wednesday);
    expect(transferCutoff('DAILY', wednesday).toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(transferCutoff('WEEKLY', wednesday).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(transferCutoff('WEEKLY', new Date('2026-12-06T23:59:59Z')).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(transferCutoff('WEEKLY', new Date('2026-11-30T00:00:00Z')).toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  test('only the seller themself sets and sees them; an unknown schedule is BAD_USER_INPUT', async () => {
    const sellerId = randomUUID();
    expect(codes(await h.call(buyerViewer(randomUUID()), SET_SCHEDULE, { schedule: 'DAILY' }))).toEqual(['FORBIDDEN']);
    expect(codes(await h.call(null, SET_SCHEDULE, { schedule: 'DAILY' }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await h.call(sellerViewer(sellerId), SET_SCHEDULE, { schedule: 'HOURLY' }))).toEqual(['BAD_USER_INPUT']);
    expect((await moneyOf(sellerId)).payoutSchedule).toBe('PER_ORDER');
    const other = await moneyOf(sellerId, sellerViewer(randomUUID()));
    expect(other).toEqual({ balance: null, payoutSchedule: null, transfers: null });
  });
});

describe('the history', () => {
  test('pages newest first; a cursor of another list is refused', async () => {
    const sellerId = randomUUID();
    await h.onboard(sellerId);
    for (const amount of [1000, 2000, 3000]) await deliveredOrder(sellerId, amount);
    await eventually(async () => expect((await transferRows(sellerId)).filter((t) => t.status === 'PAID')).toHaveLength(3));
    const first = (await moneyOf(sellerId, undefined, { first: 2 })).transfers!;
    expect(first).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
    expect(first.edges.map((e) => e.node.amount.amount)).toEqual([2700, 1800]);
    const rest = (await moneyOf(sellerId, undefined, { first: 2, after: first.pageInfo.endCursor! })).transfers!;
    expect(rest).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false } });
    expect(rest.edges.map((e) => e.node.amount.amount)).toEqual([900]);

    const bad = await h.call(sellerViewer(sellerId), MONEY, { representations: [{ __typename: 'Seller', id: sellerId }], after: 'bm90LWEtY3Vyc29y' });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(codes(await h.call(sellerViewer(sellerId), MONEY, { representations: [{ __typename: 'Seller', id: sellerId }], first: -1 }))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });
});
