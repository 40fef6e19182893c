import { randomUUID } from 'node:crypto';
import type { MarketplaceEvent } from '../../../lib/events/catalog';
import { eventually } from '../../../lib/testing/eventually';
import { accounts, unbalancedTransactions } from '../ledger';
import { startPayments, type PaymentsHarness } from './harness';

/**
 * Transfers pause while accounts says a seller is suspended (SellerStatusChanged): released money
 * stays available, and goes out on reinstatement. Each event counts once, and the newest by its time
 * wins whatever order the bus delivers them in.
 */
let h: PaymentsHarness;
beforeAll(async () => {
  h = await startPayments();
});
afterAll(() => h?.stop());
afterEach(async () => {
  expect(await h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
});

const standing = (sellerId: string, status: 'ACTIVE' | 'SUSPENDED', at: string): MarketplaceEvent<'SellerStatusChanged'> => ({
  id: randomUUID(),
  type: 'SellerStatusChanged',
  source: 'accounts',
  occurredAt: new Date().toISOString(),
  payload: { sellerId, userId: randomUUID(), status, reason: status === 'SUSPENDED' ? 'Test' : null, by: randomUUID(), at },
});
const transfersOf = (sellerId: string) => h.query<{ status: string; amount: number }>(`SELECT status, amount FROM transfers WHERE seller_id = $1`, [sellerId]);
const availableOf = async (sellerId: string) =>
  Number((await h.query<{ n: string }>(`SELECT coalesce(sum(amount), 0)::text AS n FROM ledger_entries WHERE account = $1`, [accounts.seller(sellerId)]))[0].n);

test('a suspended seller’s released money waits in available; older or repeated events change nothing; reinstated, it is transferred', async () => {
  const sellerId = randomUUID();
  await h.onboard(sellerId);
  const suspended = standing(sellerId, 'SUSPENDED', '2030-01-01T10:00:02.000000Z');
  // the newest first and twice, then an older reinstatement: still suspended
  await h.bus.publish([suspended, suspended, standing(sellerId, 'ACTIVE', '2030-01-01T10:00:01.000000Z')]);
  await h.bus.settled();
  expect(await h.query(`SELECT status FROM seller_standing WHERE seller_id = $1`, [sellerId])).toEqual([{ status: 'SUSPENDED' }]);

  const paid = await h.paidOrder(5000, sellerId);
  await h.orderStatus(paid.purchase, paid.order, 'DELIVERED');
  await eventually(async () => expect(await availableOf(sellerId)).toBe(4500));
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await transfersOf(sellerId)).toEqual([]);

  await h.bus.publish([standing(sellerId, 'ACTIVE', '2030-01-01T10:00:03.000000Z')]);
  await eventually(async () => expect(await transfersOf(sellerId)).toEqual([{ status: 'PAID', amount: 4500 }]));
  expect(await availableOf(sellerId)).toBe(0);
});
