import { codes, type GraphQLResponse } from '../../lib/client/graphql-client';
import { accessWalk } from '../../lib/testing/access-walk';
import { eventually } from '../../lib/testing/eventually';
import { follow, routerSocket } from '../../lib/testing/live';
import { checkOut, newListing, newOperator, newSeller, payByTestCard, signUp, type TestUser } from '../../lib/testing/marketplace';
import { OPERATOR, grantRole } from '../../subgraphs/accounts/roles';
import { accounts, unbalancedTransactions } from '../../subgraphs/payments/ledger';
import { STACK_MODES, startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Disputes through the router (contract step 14, trust.graphql and operators.graphql), on PostgreSQL with Redis when
 * the environment has them and on the embedded default always: a buyer disputes a shipped order, its escrow is
 * frozen (confirmDelivery and the clock release nothing), the seller answers, an operator decides; every outcome is
 * followed into the ledger, which balances after each test. Bad input changes nothing, and every operation is walked
 * by every kind of actor.
 */
interface Money {
  amount: number;
  currency: string;
}
interface DisputeView {
  id: string;
  status: string;
  source: string;
  reason: string;
  details: string;
  outcome: string | null;
  refunded: Money | null;
  openedAt: string;
  resolvedAt: string | null;
  order: { id: string; status: string };
  messages: { author: { id: string } | null; role: string; body: string; at: string }[];
}

describe.each(STACK_MODES)('disputes on %s', (mode) => {
  let stack: TestStack;
  let seller: TestUser;
  let buyer: TestUser;
  let stranger: TestUser;
  let ops: TestUser;

  beforeAll(async () => {
    stack = await startTestStack({ embedded: mode === 'embedded', env: { ...process.env, ORDERS_SWEEP_INTERVAL_MS: '200' } });
    [seller, buyer, stranger] = await Promise.all([newSeller(stack.client), signUp(stack.client), signUp(stack.client)]);
    ops = await newOperator(stack.client, (email) => grantRole(stack.subgraphs.accounts.db, email, OPERATOR));
  });
  afterAll(() => stack?.stop());

  afterEach(async () => {
    expect(await stack.subgraphs.payments.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  });

  /** A paid order of one listing at `price` (no shipping rates: it ships free), accepted and shipped by the seller. */
  async function shippedOrder(price: number, ship = true): Promise<string> {
    const listing = await newListing(seller.client, { title: `Disputed thing ${price}`, price: { amount: price, currency: 'USD' }, stock: 1 });
    const purchase = await checkOut(buyer, [listing]);
    await payByTestCard(buyer, purchase.paymentId);
    const orderId = purchase.orders[0].id;
    await eventually(async () => expect(await statusOf(orderId)).toBe('PAID'));
    if (ship) {
      await seller.client.ok('AcceptOrder', { id: orderId });
      await seller.client.ok('ShipOrder', { id: orderId, trackingNumber: '1Z999' });
    }
    return orderId;
  }

  const statusOf = async (orderId: string) => (await buyer.client.ok<{ order: { status: string } }>('Order', { id: orderId })).order.status;
  const feesOf = async (orderId: string) =>
    (await seller.client.ok<{ order: { payout: { platformFee: Money; net: Money; status: string } } }>('OrderFees', { id: orderId })).order.payout;
  const disputeOf = async (who: TestUser, id: string) => (await who.client.ok<{ dispute: DisputeView }>('Dispute', { id })).dispute;
  const kindsOf = async (user: TestUser) =>
    (await user.client.ok<{ me: { notifications: { edges: { node: { kind: string; order: { id: string } | null } }[] } } }>('MyNotifications', { first: 50 })).me.notifications.edges.map(
      (e) => [e.node.kind, e.node.order?.id],
    );

  /** What the ledger holds for one order, by account (the buyer's charge is the purchase's, not the order's). */
  async function ledgerOf(orderId: string): Promise<Record<string, number>> {
    const rows: { account: string; amount: string }[] = await stack.subgraphs.payments.db.transaction((m) =>
      m.query(`SELECT account, sum(amount)::text AS amount FROM ledger_entries WHERE order_id = $1 GROUP BY account`, [orderId]),
    );
    return Object.fromEntries(rows.map((r) => [r.account, Number(r.amount)]));
  }

  /** The order's money after a decision: nothing left in escrow; the buyer got `refund`; the seller and the platform the rest. */
  async function expectSettled(orderId: string, total: number, refund: number, fee: { before: number; after: number }): Promise<void> {
    const ledger = await ledgerOf(orderId);
    const sellerId = seller.sellerId!;
    expect(ledger[accounts.escrow(sellerId)] ?? 0).toBe(0);
    expect(ledger[accounts.feesPending] ?? 0).toBe(0);
    expect(ledger[accounts.buyer(buyer.userId)] ?? 0).toBe(refund);
    expect(ledger[accounts.platformRevenue] ?? 0).toBe(fee.after);
    const toSeller = (ledger[accounts.seller(sellerId)] ?? 0) + (ledger[accounts.paidOut(sellerId)] ?? 0);
    expect(toSeller + fee.after + refund).toBe(total);
    expect(fee.after).toBeLessThanOrEqual(fee.before);
  }

  test('step 14: a shipped order disputed, delivery releases nothing, the seller answers, an operator refunds part', async () => {
    const orderId = await shippedOrder(8000);
    const socket = routerSocket(stack.routerUrl, buyer.client.token);
    try {
      const live = follow<{ orderStatusChanged: { order: { id: string; status: string }; previousStatus: string } }>(socket, 'OrderStatusChanged', { orderId });
      await new Promise((resolve) => setTimeout(resolve, 300)); // the subscription is open
      const { openDispute } = await buyer.client.ok<{ openDispute: { id: string; status: string; reason: string; order: { id: string; status: string } } }>('OpenDispute', {
        orderId,
        reason: 'NOT_RECEIVED',
        details: '  Three weeks and still nothing.  ',
      });
      expect(openDispute).toMatchObject({ status: 'AWAITING_SELLER', reason: 'NOT_RECEIVED', order: { id: orderId, status: 'DISPUTED' } });
      const disputeId = openDispute.id;
      // the status is published like every other: subscribers hear DISPUTED
      await eventually(async () =>
        expect(live.events.map((e) => [e.orderStatusChanged.previousStatus, e.orderStatusChanged.order.status])).toContainEqual(['SHIPPED', 'DISPUTED']),
      );

      // escrow is frozen: confirming delivery is refused and releases nothing
      expect(codes(await buyer.client.op('ConfirmDelivery', { id: orderId }))).toEqual(['CONFLICT']);
      expect(codes(await seller.client.op('CancelOrder', { id: orderId }))).toEqual(['CONFLICT']);
      expect(await statusOf(orderId)).toBe('DISPUTED');
      const { platformFee, net } = await feesOf(orderId);
      expect(await ledgerOf(orderId)).toEqual({ [accounts.escrow(seller.sellerId!)]: net.amount, [accounts.feesPending]: platformFee.amount });
      await eventually(async () => {
        expect(await kindsOf(seller)).toContainEqual(['DISPUTE_OPENED', orderId]);
        expect(await kindsOf(buyer)).toContainEqual(['DISPUTE_OPENED', orderId]);
      });
      // nobody else hears of it
      expect(await kindsOf(stranger)).not.toContainEqual(['DISPUTE_OPENED', orderId]);

      // the seller answers: UNDER_REVIEW, and the buyer hears of it
      const { addDisputeMessage } = await seller.client.ok<{ addDisputeMessage: { status: string; messages: DisputeView['messages'] } }>('AddDisputeMessage', {
        id: disputeId,
        body: 'It left on the 2nd; the carrier shows it in transit.',
      });
      expect(addDisputeMessage.status).toBe('UNDER_REVIEW');
      expect(addDisputeMessage.messages.map((m) => [m.role, m.author?.id, m.body])).toEqual([
        ['SELLER', seller.userId, 'It left on the 2nd; the carrier shows it in transit.'],
      ]);
      await eventually(async () => expect(await kindsOf(buyer)).toContainEqual(['DISPUTE_UPDATED', orderId]));

      // in the operators' queue, with the order's total
      const { disputes } = await ops.client.ok<{ disputes: { edges: { node: { id: string; source: string; order: { total: Money } } }[] } }>('DisputeQueue', {
        status: 'UNDER_REVIEW',
      });
      expect(disputes.edges.map((e) => e.node)).toContainEqual(expect.objectContaining({ id: disputeId, source: 'BUYER', order: expect.objectContaining({ total: { amount: 8000, currency: 'USD' } }) }));

      // the operator refunds 3000 of 8000; the rest goes to the seller
      const { resolveDispute } = await ops.client.ok<{ resolveDispute: { status: string; outcome: string; refunded: Money; order: { status: string } } }>('ResolveDispute', {
        id: disputeId,
        outcome: 'PARTIAL_REFUND',
        refundAmount: 3000,
        note: 'Half-way there: the buyer keeps the item and part of the price.',
      });
      expect(resolveDispute).toEqual({ id: disputeId, status: 'RESOLVED', outcome: 'PARTIAL_REFUND', refunded: { amount: 3000, currency: 'USD' }, order: { id: orderId, status: 'COMPLETED' } });
      const fee = (await stack.subgraphs.payments.db.transaction((m) =>
        m.query(`SELECT platform_fee - refunded_fee AS fee FROM payment_orders WHERE order_id = $1`, [orderId]),
      )) as { fee: number }[];
      await expectSettled(orderId, 8000, 3000, { before: platformFee.amount, after: fee[0].fee });
      // the fee follows RefundOrder's rule: in proportion to the items refunded (no shipping here)
      expect(fee[0].fee).toBe(platformFee.amount - Math.round((3000 * platformFee.amount) / 8000));
      await eventually(async () => {
        expect(await kindsOf(buyer)).toContainEqual(['DISPUTE_RESOLVED', orderId]);
        expect(await kindsOf(seller)).toContainEqual(['DISPUTE_RESOLVED', orderId]);
        expect(await kindsOf(buyer)).toContainEqual(['REFUND_ISSUED', orderId]);
      });
      const seen = await disputeOf(buyer, disputeId);
      expect(seen).toMatchObject({ status: 'RESOLVED', source: 'BUYER', details: 'Three weeks and still nothing.', outcome: 'PARTIAL_REFUND', order: { status: 'COMPLETED' } });
      expect(seen.resolvedAt).not.toBeNull();
      expect(seen.messages.map((m) => m.role)).toEqual(['SELLER', 'OPERATOR']);

      // the audit log's entries, written with the actions: the buyer's opening and the operator's decision
      const audited: { payload: { action: string; actorId: string; targetType: string; targetId: string; details: Record<string, unknown> } }[] =
        await stack.subgraphs.orders.db.transaction((m) => m.query(`SELECT payload->'payload' AS payload FROM outbox WHERE type = 'AuditRecorded' AND payload->'payload'->>'targetId' = $1 ORDER BY occurred_at`, [disputeId]));
      expect(audited.map((a) => a.payload)).toEqual([
        expect.objectContaining({ action: 'dispute.opened', actorId: buyer.userId, targetType: 'dispute', targetId: disputeId }),
        expect.objectContaining({
          action: 'dispute.resolved',
          actorId: ops.userId,
          targetType: 'dispute',
          targetId: disputeId,
          details: expect.objectContaining({ outcome: 'PARTIAL_REFUND', amount: 3000, note: 'Half-way there: the buyer keeps the item and part of the price.' }),
        }),
      ]);

      // decided once: a second decision is CONFLICT and changes nothing
      expect(codes(await ops.client.op('ResolveDispute', { id: disputeId, outcome: 'REFUND_BUYER', note: 'Again' }))).toEqual(['CONFLICT']);
      expect(codes(await buyer.client.op('AddDisputeMessage', { id: disputeId, body: 'One more thing' }))).toEqual(['CONFLICT']);
      await expectSettled(orderId, 8000, 3000, { before: platformFee.amount, after: fee[0].fee });
      await eventually(async () => expect(await statusOf(orderId)).toBe('COMPLETED'));
      live.stop();
    } finally {
      await socket.dispose();
    }
  });

  test('REFUND_BUYER gives the whole order back (REFUNDED); RELEASE_TO_SELLER pays the seller (COMPLETED)', async () => {
    const refunded = await shippedOrder(4100);
    const released = await shippedOrder(4200);
    const ids: string[] = [];
    for (const orderId of [refunded, released]) {
      const { openDispute } = await buyer.client.ok<{ openDispute: { id: string } }>('OpenDispute', { orderId, reason: 'DAMAGED', details: 'Broken in two.' });
      ids.push(openDispute.id);
    }
    const fees = await Promise.all([refunded, released].map(feesOf));

    const first = await ops.client.ok<{ resolveDispute: { outcome: string; refunded: Money; order: { status: string } } }>('ResolveDispute', {
      id: ids[0],
      outcome: 'REFUND_BUYER',
      note: 'The photos show it arrived broken.',
    });
    expect(first.resolveDispute).toMatchObject({ outcome: 'REFUND_BUYER', refunded: { amount: 4100, currency: 'USD' }, order: { status: 'REFUNDED' } });
    await expectSettled(refunded, 4100, 4100, { before: fees[0].platformFee.amount, after: 0 });

    const second = await ops.client.ok<{ resolveDispute: { outcome: string; refunded: Money; order: { status: string } } }>('ResolveDispute', {
      id: ids[1],
      outcome: 'RELEASE_TO_SELLER',
      note: 'The carrier confirms delivery intact.',
    });
    expect(second.resolveDispute).toMatchObject({ outcome: 'RELEASE_TO_SELLER', refunded: { amount: 0, currency: 'USD' }, order: { status: 'COMPLETED' } });
    await expectSettled(released, 4200, 0, { before: fees[1].platformFee.amount, after: fees[1].platformFee.amount });
    expect(await ledgerOf(released)).toMatchObject({ [accounts.seller(seller.sellerId!)]: fees[1].net.amount });

    await eventually(async () => {
      expect(await statusOf(refunded)).toBe('REFUNDED');
      expect(await statusOf(released)).toBe('COMPLETED');
      expect(await kindsOf(seller)).toContainEqual(['FUNDS_RELEASED', released]);
    });
    // the seller's funds: released only for the order decided their way
    expect(await kindsOf(seller)).not.toContainEqual(['FUNDS_RELEASED', refunded]);
  });

  test('the clock: unanswered for three days goes UNDER_REVIEW; a disputed order is never delivered or released automatically', async () => {
    const orderId = await shippedOrder(3300);
    const { openDispute } = await buyer.client.ok<{ openDispute: { id: string } }>('OpenDispute', { orderId, reason: 'NOT_RECEIVED', details: 'Nothing came.' });
    const { platformFee, net } = await feesOf(orderId);
    // shipped a month ago and opened four days ago: the sweeper would deliver a SHIPPED order, and gives the seller up
    await stack.subgraphs.orders.db.transaction(async (m) => {
      await m.query(`UPDATE orders SET shipped_at = now() - interval '30 days' WHERE id = $1`, [orderId]);
      await m.query(`UPDATE disputes SET created_at = now() - interval '4 days' WHERE id = $1`, [openDispute.id]);
    });
    await eventually(async () => expect((await disputeOf(buyer, openDispute.id)).status).toBe('UNDER_REVIEW'));
    await new Promise((resolve) => setTimeout(resolve, 1000)); // several sweeps
    expect(await statusOf(orderId)).toBe('DISPUTED');
    expect(await ledgerOf(orderId)).toEqual({ [accounts.escrow(seller.sellerId!)]: net.amount, [accounts.feesPending]: platformFee.amount });
    expect(await kindsOf(seller)).not.toContainEqual(['FUNDS_RELEASED', orderId]);

    // a dispute younger than three days stays with the seller
    const young = await shippedOrder(3400);
    const { openDispute: waiting } = await buyer.client.ok<{ openDispute: { id: string } }>('OpenDispute', { orderId: young, reason: 'OTHER', details: 'Wrong colour.' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await disputeOf(seller, waiting.id)).status).toBe('AWAITING_SELLER');
  });

  test('bad input and the wrong moment change nothing', async () => {
    const orderId = await shippedOrder(2500);
    const paidOnly = await shippedOrder(2600, false);
    const tooLong = 'x'.repeat(2001);
    for (const [variables, code, field] of [
      [{ orderId, reason: 'DAMAGED', details: '   ' }, 'BAD_USER_INPUT', 'details'],
      [{ orderId, reason: 'DAMAGED', details: tooLong }, 'BAD_USER_INPUT', 'details'],
      [{ orderId: paidOnly, reason: 'DAMAGED', details: 'Not shipped yet' }, 'CONFLICT', undefined],
      [{ orderId: '00000000-0000-4000-8000-000000000000', reason: 'DAMAGED', details: 'Nope' }, 'NOT_FOUND', undefined],
    ] as const) {
      const response = await buyer.client.op('OpenDispute', variables);
      expect(codes(response)).toEqual([code]);
      if (field) expect(response.errors?.[0].extensions?.field).toBe(field);
    }
    expect(await statusOf(orderId)).toBe('SHIPPED');
    expect(await statusOf(paidOnly)).toBe('PAID');
    expect((await buyer.client.ok<{ myDisputes: { edges: { node: { order: { id: string } } }[] } }>('MyDisputes', { first: 100 })).myDisputes.edges.map((e) => e.node.order.id)).not.toContain(orderId);

    const { openDispute } = await buyer.client.ok<{ openDispute: { id: string } }>('OpenDispute', { orderId, reason: 'NOT_AS_DESCRIBED', details: 'Blue, not red.' });
    // a second dispute on the order
    expect(codes(await buyer.client.op('OpenDispute', { orderId, reason: 'OTHER', details: 'Again' }))).toEqual(['CONFLICT']);
    for (const body of ['', tooLong]) {
      const response = await seller.client.op('AddDisputeMessage', { id: openDispute.id, body });
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    }
    expect((await disputeOf(buyer, openDispute.id)).status).toBe('AWAITING_SELLER');
    for (const refundAmount of [0, -5, 2500, 9999, null]) {
      const response = await ops.client.op('ResolveDispute', { id: openDispute.id, outcome: 'PARTIAL_REFUND', refundAmount, note: 'Split' });
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0].extensions?.field).toBe('refundAmount');
    }
    expect(codes(await ops.client.op('ResolveDispute', { id: openDispute.id, outcome: 'REFUND_BUYER', note: '' }))).toEqual(['BAD_USER_INPUT']);
    // refused decisions are not decisions: nothing in the audit log
    const decisions: unknown[] = await stack.subgraphs.orders.db.transaction((m) =>
      m.query(`SELECT 1 FROM outbox WHERE type = 'AuditRecorded' AND payload->'payload'->>'targetId' = $1 AND payload->'payload'->>'action' = 'dispute.resolved'`, [openDispute.id]),
    );
    expect(decisions).toEqual([]);
    const untouched = await disputeOf(ops, openDispute.id);
    expect(untouched).toMatchObject({ status: 'AWAITING_SELLER', outcome: null, refunded: null, messages: [], order: { status: 'DISPUTED' } });
    const { platformFee, net } = await feesOf(orderId);
    expect(await ledgerOf(orderId)).toEqual({ [accounts.escrow(seller.sellerId!)]: net.amount, [accounts.feesPending]: platformFee.amount });

    // a COMPLETED order's money has left escrow: no dispute
    const done = await shippedOrder(2700);
    await buyer.client.ok('ConfirmDelivery', { id: done });
    await eventually(async () => expect(await statusOf(done)).toBe('COMPLETED'));
    expect(codes(await buyer.client.op('OpenDispute', { orderId: done, reason: 'DAMAGED', details: 'Late find' }))).toEqual(['CONFLICT']);
    expect(await statusOf(done)).toBe('COMPLETED');
  });

  test('the authorization walk of every dispute operation', async () => {
    const orderId = await shippedOrder(1900);
    const otherSeller = await newSeller(stack.client);
    // an operator without a two-factor sign-in is no operator
    const roleOnly = await signUp(stack.client, 'Half operator', { address: false });
    await grantRole(stack.subgraphs.accounts.db, roleOnly.email, OPERATOR);
    const { logIn } = await stack.client.ok<{ logIn: { token: string } }>('LogIn', { input: { email: roleOnly.email, password: 'a long enough password' } });
    const halfOperator = stack.client.as(logIn.token);
    const step = accessWalk(() => ({
      anonymous: stack.client,
      stranger: stranger.client,
      otherSeller: otherSeller.client,
      seller: seller.client,
      halfOperator,
      operator: ops.client,
      buyer: buyer.client,
    }));
    let disputeId = '';
    await step('OpenDispute', () => ({ orderId, reason: 'NOT_RECEIVED', details: 'Still waiting.' }), {
      anonymous: 'UNAUTHENTICATED',
      stranger: 'FORBIDDEN',
      otherSeller: 'FORBIDDEN',
      seller: 'FORBIDDEN',
      operator: 'FORBIDDEN',
      buyer: (r: GraphQLResponse) => {
        expect(r.errors).toBeUndefined();
        disputeId = (r.data as { openDispute: { id: string } }).openDispute.id;
      },
    });
    expect(disputeId).not.toBe('');
    await step('Dispute', () => ({ id: disputeId }), {
      anonymous: 'UNAUTHENTICATED',
      stranger: 'FORBIDDEN',
      otherSeller: 'FORBIDDEN',
      seller: 'ok',
      operator: 'ok',
      buyer: 'ok',
    });
    await step('AddDisputeMessage', () => ({ id: disputeId, body: 'A word' }), {
      anonymous: 'UNAUTHENTICATED',
      stranger: 'FORBIDDEN',
      otherSeller: 'FORBIDDEN',
      seller: 'ok',
      operator: 'ok',
      buyer: 'ok',
    });
    const listed = (yes: boolean) => (r: GraphQLResponse) => {
      expect(r.errors).toBeUndefined();
      const ids = (r.data as { myDisputes: { edges: { node: { id: string } }[] } }).myDisputes.edges.map((e) => e.node.id);
      if (yes) expect(ids).toContain(disputeId);
      else expect(ids).not.toContain(disputeId);
    };
    await step('MyDisputes', () => ({ first: 100 }), {
      anonymous: 'UNAUTHENTICATED',
      stranger: listed(false),
      otherSeller: listed(false),
      operator: listed(false),
      seller: listed(true),
      buyer: listed(true),
    });
    const refused = { anonymous: 'UNAUTHENTICATED', stranger: 'FORBIDDEN', otherSeller: 'FORBIDDEN', seller: 'FORBIDDEN', buyer: 'FORBIDDEN', halfOperator: 'FORBIDDEN' };
    await step('DisputeQueue', () => ({ first: 100 }), { ...refused, operator: 'ok' });
    expect(codes(await halfOperator.op('Dispute', { id: disputeId }))).toEqual(['FORBIDDEN']);
    const twoFactorMissing = await halfOperator.op('ResolveDispute', { id: disputeId, outcome: 'REFUND_BUYER', note: 'Refund it all.' });
    expect(twoFactorMissing.errors?.[0].message).toMatch(/two-factor/);
    // refused, nothing decided: the order is still held, and the operator's decision (last in the walk) is the first
    expect(await statusOf(orderId)).toBe('DISPUTED');
    await step('ResolveDispute', () => ({ id: disputeId, outcome: 'RELEASE_TO_SELLER', note: 'Delivered, says the carrier.' }), { ...refused, operator: 'ok' });
    expect(await statusOf(orderId)).toBe('COMPLETED');
    expect((await disputeOf(ops, disputeId)).outcome).toBe('RELEASE_TO_SELLER');
    const decisions: { actor: string }[] = await stack.subgraphs.orders.db.transaction((m) =>
      m.query(
        `SELECT payload->'payload'->>'actorId' AS actor FROM outbox WHERE type = 'AuditRecorded' AND payload->'payload'->>'targetId' = $1 AND payload->'payload'->>'action' = 'dispute.resolved'`,
        [disputeId],
      ),
    );
    expect(decisions).toEqual([{ actor: ops.userId }]);
  });

  test('the queue: open disputes first, oldest first, page by page', async () => {
    const orders = [await shippedOrder(1100), await shippedOrder(1200), await shippedOrder(1300)];
    const ids: string[] = [];
    for (const orderId of orders) {
      ids.push((await buyer.client.ok<{ openDispute: { id: string } }>('OpenDispute', { orderId, reason: 'OTHER', details: 'Queue' })).openDispute.id);
    }
    type Page = { disputes: { totalCount: number; edges: { node: { id: string; status: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const seen: { id: string; status: string }[] = [];
    let after: string | null = null;
    do {
      const page: Page = await ops.client.ok<Page>('DisputeQueue', { first: 2, after });
      seen.push(...page.disputes.edges.map((e) => e.node));
      after = page.disputes.pageInfo.hasNextPage ? page.disputes.pageInfo.endCursor : null;
    } while (after);
    const firstResolved = seen.findIndex((d) => d.status === 'RESOLVED');
    expect(seen.slice(firstResolved === -1 ? seen.length : firstResolved).every((d) => d.status === 'RESOLVED')).toBe(true);
    const mine = seen.map((d) => d.id).filter((id) => ids.includes(id));
    expect(mine).toEqual(ids);
    expect(new Set(seen.map((d) => d.id)).size).toBe(seen.length);
    // newest first for the buyer
    const { myDisputes } = await buyer.client.ok<{ myDisputes: { edges: { node: { id: string } }[] } }>('MyDisputes', { first: 3 });
    expect(myDisputes.edges.map((e) => e.node.id)).toEqual([...ids].reverse());
    for (const id of ids) await ops.client.ok('ResolveDispute', { id, outcome: 'RELEASE_TO_SELLER', note: 'Closing the queue test' });
  });
});
