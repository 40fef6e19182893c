import { randomUUID } from 'node:crypto';
import { codes, type GraphQLClient } from '../../lib/client/graphql-client';
import type { EventEnvelope } from '../../lib/events/types';
import { accessWalk } from '../../lib/testing/access-walk';
import { eventually } from '../../lib/testing/eventually';
import { checkOut, newListing, newOperator, newSeller, payByTestCard, signUp, stockOf, TEST_PASSWORD, type TestUser } from '../../lib/testing/marketplace';
import { OPERATOR, grantRole } from '../../subgraphs/accounts/roles';
import { unbalancedTransactions } from '../../subgraphs/payments/ledger';
import { STACK_MODES, startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Trust and safety for listings and sellers through the router, on PostgreSQL (with Redis) when the
 * environment has it and on the embedded default always: contract step 16 (an operator suspends a
 * seller: its listings leave search, checkout of them is FORBIDDEN; reinstated, they are back), an
 * operator's removal of a listing, users' reports of listings, a suspended seller's paid order still
 * fulfilled while its transfer waits for the reinstatement, the events the others hear, and the
 * authorization walk of every operation added.
 */

interface Notice {
  kind: string;
  title: string;
  body: string;
}
interface Money {
  amount: number;
  currency: string;
}
interface Search {
  listings: { totalCount: number; edges: { node: { id: string; title: string; price: Money } }[] };
}

describe.each(STACK_MODES)('listing removal, reports and seller suspension on %s', (mode) => {
  let stack: TestStack;
  let operator: TestUser;
  /** A user who holds the operator role but signed in without two-factor: no operator scope. */
  let roleWithoutTwoFactor: GraphQLClient;
  const events: EventEnvelope[] = [];
  let stopTail: () => Promise<void>;

  beforeAll(async () => {
    stack = await startTestStack({ embedded: mode === 'embedded' });
    stopTail = await stack.bus.tail(async (event) => {
      events.push(event);
    });
    const grant = (email: string) => grantRole(stack.subgraphs.accounts.db, email, OPERATOR);
    operator = await newOperator(stack.client, grant);
    const plain = await signUp(stack.client, 'Half operator', { address: false });
    await grant(plain.email);
    const { logIn } = await stack.client.ok<{ logIn: { token: string } }>('LogIn', { input: { email: plain.email, password: TEST_PASSWORD } });
    roleWithoutTwoFactor = stack.client.as(logIn.token);
  });
  afterAll(async () => {
    await stopTail?.();
    await stack?.stop();
  });
  afterEach(async () => {
    // money is never lost or created, whatever a suspension pauses
    expect(await stack.subgraphs.payments.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  });

  const published = <T>(type: string, where: (payload: T) => boolean) =>
    events.filter((e) => e.type === type && where(e.payload as T)).map((e) => e.payload as T);
  const inboxOf = async (user: TestUser) =>
    (await user.client.ok<{ me: { notifications: { edges: { node: Notice }[] } } }>('MyNotifications', { first: 50 })).me.notifications.edges.map((e) => e.node);
  const search = async (client: GraphQLClient, variables: Record<string, unknown>) => (await client.ok<Search>('SearchListings', variables)).listings;
  const idsFound = async (variables: Record<string, unknown>) => (await search(stack.client, variables)).edges.map((e) => e.node.id).sort();
  const checkoutCodes = async (buyer: TestUser, listingId: string) =>
    codes(await buyer.client.op('Checkout', { input: { items: [{ listingId, quantity: 1 }], idempotencyKey: randomUUID() } }));
  const sellerStatus = async (sellerId: string) =>
    (await stack.client.query<{ seller: { status: string } }>(`query SellerStatus($id: ID!) { seller(id: $id) { status } }`, { id: sellerId })).data?.seller.status;

  test('step 16: a suspended seller’s listings leave search and checkout; reinstated, they are back with their current data', async () => {
    const [seller1, seller2, buyer] = await Promise.all([newSeller(stack.client), newSeller(stack.client), signUp(stack.client)]);
    const word = `zephyrine${randomUUID().slice(0, 6)}`;
    const lamp = await newListing(seller2.client, { title: `Suspended ${word} lamp`, stock: 5 });
    const vase = await newListing(seller2.client, { title: `Suspended ${word} vase`, stock: 5, category: 'art-collectibles' });
    const other = await newListing(seller1.client, { title: `Unaffected ${word} kettle`, stock: 5 });
    // searched before, so that the cached answers must be forgotten
    expect(await idsFound({ query: word })).toEqual([lamp, vase, other].sort());
    expect(await idsFound({ filter: { sellerId: seller2.sellerId } })).toEqual([lamp, vase].sort());

    const { suspendSeller } = await operator.client.ok<{ suspendSeller: { id: string; status: string } }>('SuspendSeller', {
      sellerId: seller2.sellerId,
      reason: 'Items reported as never shipped',
    });
    expect(suspendSeller).toEqual({ id: seller2.sellerId, status: 'SUSPENDED' });
    await eventually(async () => expect(await idsFound({ query: word })).toEqual([other]));
    expect(await idsFound({ filter: { sellerId: seller2.sellerId } })).toEqual([]);
    expect(await idsFound({ query: word, filter: { category: 'art-collectibles' } })).toEqual([]);
    // checkout of them is FORBIDDEN and reserves nothing; another seller's listing still sells
    expect(await checkoutCodes(buyer, lamp)).toEqual(['FORBIDDEN']);
    expect(await stockOf(seller2.client, lamp)).toBe(5);
    const { orders } = await checkOut(buyer, [other]);
    expect(orders).toHaveLength(1);
    // the suspended seller may not create or publish listings, but may edit theirs (shown once reinstated)
    expect(codes(await seller2.client.op('CreateListing', { input: { title: 'New while suspended', description: 'x', price: { amount: 100, currency: 'USD' }, category: 'books', stock: 1 } }))).toEqual(['FORBIDDEN']);
    await seller2.client.ok('ArchiveListing', { id: vase });
    expect(codes(await seller2.client.op('PublishListing', { id: vase }))).toEqual(['FORBIDDEN']);
    await seller2.client.ok('UpdateListing', { id: lamp, input: { price: { amount: 1234, currency: 'USD' } } });
    expect(await idsFound({ query: word })).toEqual([other]);
    await eventually(async () => {
      const notice = (await inboxOf(seller2)).find((n) => n.kind === 'SELLER_SUSPENDED');
      expect(notice?.body).toContain('Items reported as never shipped');
    });
    // the seller's profile says so
    expect(await sellerStatus(seller2.sellerId!)).toBe('SUSPENDED');

    const { reinstateSeller } = await operator.client.ok<{ reinstateSeller: { status: string } }>('ReinstateSeller', { sellerId: seller2.sellerId });
    expect(reinstateSeller.status).toBe('ACTIVE');
    await eventually(async () => expect(await idsFound({ query: word })).toEqual([lamp, other].sort()));
    const found = (await search(stack.client, { query: word })).edges.find((e) => e.node.id === lamp)!.node;
    expect(found.price.amount).toBe(1234);
    await seller2.client.ok('PublishListing', { id: vase });
    expect(await idsFound({ filter: { sellerId: seller2.sellerId } })).toEqual([lamp, vase].sort());
    const bought = await checkOut(buyer, [lamp]);
    expect(bought.orders[0].seller.id).toBe(seller2.sellerId);
    await eventually(async () => expect((await inboxOf(seller2)).map((n) => n.kind)).toContain('SELLER_REINSTATED'));

    // suspending twice or reinstating an active seller is CONFLICT (never silently idempotent); unknown: NOT_FOUND
    expect(codes(await operator.client.op('ReinstateSeller', { sellerId: seller2.sellerId }))).toEqual(['CONFLICT']);
    await operator.client.ok('SuspendSeller', { sellerId: seller1.sellerId, reason: 'Checking' });
    expect(codes(await operator.client.op('SuspendSeller', { sellerId: seller1.sellerId, reason: 'Again' }))).toEqual(['CONFLICT']);
    await operator.client.ok('ReinstateSeller', { sellerId: seller1.sellerId });
    expect(codes(await operator.client.op('SuspendSeller', { sellerId: randomUUID(), reason: 'Nobody' }))).toEqual(['NOT_FOUND']);
    expect(codes(await operator.client.op('SuspendSeller', { sellerId: seller1.sellerId, reason: '   ' }))).toEqual(['BAD_USER_INPUT']);
    expect(await sellerStatus(seller1.sellerId!)).toBe('ACTIVE');

    // accounts published each change once, in order, with who did it; each went to the audit log
    await eventually(async () =>
      expect(published<{ sellerId: string; status: string }>('SellerStatusChanged', (p) => p.sellerId === seller2.sellerId)).toEqual([
        expect.objectContaining({ status: 'SUSPENDED', reason: 'Items reported as never shipped', by: operator.userId, userId: seller2.userId }),
        expect.objectContaining({ status: 'ACTIVE', reason: null, by: operator.userId }),
      ]),
    );
    const audited = published<{ action: string; targetId: string; actorId: string }>('AuditRecorded', (p) => p.targetId === seller2.sellerId);
    expect(audited.map((a) => [a.action, a.actorId])).toEqual([
      ['seller.suspended', operator.userId],
      ['seller.reinstated', operator.userId],
    ]);
    expect(published<{ targetId: string }>('AuditRecorded', (p) => p.targetId === seller1.sellerId)).toHaveLength(2);
  });

  test('an operator removes a listing: out of search and checkout for good, its seller told why and its edits refused', async () => {
    const [seller, buyer] = await Promise.all([newSeller(stack.client), signUp(stack.client)]);
    const word = `quillwort${randomUUID().slice(0, 6)}`;
    const fake = await newListing(seller.client, { title: `Designer ${word} bag`, stock: 4 });
    const kept = await newListing(seller.client, { title: `Plain ${word} tote`, stock: 4 });
    expect(await idsFound({ query: word })).toEqual([fake, kept].sort());

    // bad input changes nothing
    expect(codes(await operator.client.op('RemoveListing', { id: fake, reason: '  ' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await operator.client.op('RemoveListing', { id: fake, reason: 'x'.repeat(1001) }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await operator.client.op('RemoveListing', { id: randomUUID(), reason: 'Counterfeit' }))).toEqual(['NOT_FOUND']);
    expect(await idsFound({ query: word })).toEqual([fake, kept].sort());

    const { removeListing } = await operator.client.ok<{ removeListing: { id: string; status: string } }>('RemoveListing', {
      id: fake,
      reason: 'Counterfeit designer goods',
    });
    expect(removeListing).toEqual({ id: fake, status: 'REMOVED' });
    // out of search at once (the writer forgets its cached searches), and for good
    expect(await idsFound({ query: word })).toEqual([kept]);
    expect(await checkoutCodes(buyer, fake)).toEqual(['FORBIDDEN']);
    expect((await buyer.client.ok<{ listing: unknown }>('Listing', { id: fake })).listing).toBeNull();
    expect((await seller.client.ok<{ listing: { status: string } }>('Listing', { id: fake })).listing.status).toBe('REMOVED');
    // the seller can neither edit, publish nor archive it (CONFLICT); removing it again is CONFLICT too
    expect(codes(await seller.client.op('UpdateListing', { id: fake, input: { title: 'Genuine, honest' } }))).toEqual(['CONFLICT']);
    expect(codes(await seller.client.op('PublishListing', { id: fake }))).toEqual(['CONFLICT']);
    expect(codes(await seller.client.op('ArchiveListing', { id: fake }))).toEqual(['CONFLICT']);
    expect(codes(await operator.client.op('RemoveListing', { id: fake, reason: 'Again' }))).toEqual(['CONFLICT']);
    expect(await idsFound({ query: word })).toEqual([kept]);
    expect((await seller.client.ok<{ listing: { title: string } }>('Listing', { id: fake })).listing.title).toBe(`Designer ${word} bag`);

    await eventually(async () => {
      const notice = (await inboxOf(seller)).find((n) => n.kind === 'LISTING_REMOVED');
      expect(notice).toMatchObject({ title: expect.stringContaining(`Designer ${word} bag`), body: expect.stringContaining('Counterfeit designer goods') });
    });
    await eventually(async () =>
      expect(published('ListingRemoved', (p: { listingId: string }) => p.listingId === fake)).toEqual([
        expect.objectContaining({ sellerId: seller.sellerId, title: `Designer ${word} bag`, reason: 'Counterfeit designer goods', by: operator.userId }),
      ]),
    );
    expect(published('AuditRecorded', (p: { targetId: string }) => p.targetId === fake)).toEqual([
      expect.objectContaining({ action: 'listing.removed', actorId: operator.userId, targetType: 'listing', details: expect.objectContaining({ reason: 'Counterfeit designer goods' }) }),
    ]);
  });

  test('users report a listing once each; unknown listings, bad reasons and long details are refused and change nothing', async () => {
    const [seller, reporter, another] = await Promise.all([newSeller(stack.client), signUp(stack.client), signUp(stack.client)]);
    const listing = await newListing(seller.client, { title: 'Suspiciously cheap phone' });
    const report = (user: TestUser, variables: Record<string, unknown>) => user.client.op('ReportListing', { listingId: listing, ...variables });

    expect(codes(await report(reporter, { reason: 'NOT_A_REASON' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await report(reporter, { reason: 'FAKE', details: 'y'.repeat(2001) }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await reporter.client.op('ReportListing', { listingId: randomUUID(), reason: 'SPAM' }))).toEqual(['NOT_FOUND']);
    expect(codes(await reporter.client.op('ReportListing', { listingId: 'not-an-id', reason: 'SPAM' }))).toEqual(['NOT_FOUND']);
    // a draft is not for sale: as unknown to others
    const draft = await newListing(seller.client, { title: 'Unpublished' }, false);
    expect(codes(await reporter.client.op('ReportListing', { listingId: draft, reason: 'SPAM' }))).toEqual(['NOT_FOUND']);

    // the refusals left no report: the first real one is accepted
    expect((await reporter.client.ok<{ reportListing: boolean }>('ReportListing', { listingId: listing, reason: 'COUNTERFEIT', details: '  Fake brand.  ' })).reportListing).toBe(true);
    expect(codes(await report(reporter, { reason: 'SPAM' }))).toEqual(['CONFLICT']);
    await another.client.ok('ReportListing', { listingId: listing, reason: 'MISLEADING' });

    await eventually(async () =>
      expect(published<{ listingId: string; reporterId: string }>('ListingReported', (p) => p.listingId === listing)).toEqual([
        expect.objectContaining({ sellerId: seller.sellerId, title: 'Suspiciously cheap phone', reporterId: reporter.userId, reason: 'COUNTERFEIT', details: 'Fake brand.' }),
        expect.objectContaining({ reporterId: another.userId, reason: 'MISLEADING', details: null }),
      ]),
    );

    // a report is the reporter's data: in their export, and gone with their account
    const { me } = await reporter.client.ok<{ me: { exportData: string } }>('ExportMyData');
    expect(JSON.parse(me.exportData).listings.listingReports).toEqual([expect.objectContaining({ listing_id: listing, reason: 'COUNTERFEIT', details: 'Fake brand.' })]);
    await reporter.client.ok('DeleteMyAccount', { password: TEST_PASSWORD });
    const reportsOf = async (userId: string) =>
      (await stack.subgraphs.listings.db.transaction((m) => m.query(`SELECT reason FROM listing_reports WHERE reporter_id = $1`, [userId]))) as unknown[];
    await eventually(async () => expect(await reportsOf(reporter.userId)).toEqual([]));
    expect(await reportsOf(another.userId)).toEqual([{ reason: 'MISLEADING' }]);
  });

  test('a suspended seller’s paid order is still fulfilled and cancelled orders refunded; its transfer waits for the reinstatement', async () => {
    const [seller, buyer] = await Promise.all([newSeller(stack.client), signUp(stack.client)]);
    const link = await seller.client.ok<{ startPayoutOnboarding: { url: string } }>('StartPayoutOnboarding', {
      returnUrl: 'http://localhost:3000/payouts/done',
      refreshUrl: 'http://localhost:3000/payouts/again',
    });
    expect((await fetch(link.startPayoutOnboarding.url, { redirect: 'manual' })).status).toBe(302);
    const [mug, plate] = await Promise.all([
      newListing(seller.client, { title: 'Suspension mug', price: { amount: 4000, currency: 'USD' } }),
      newListing(seller.client, { title: 'Suspension plate', price: { amount: 2500, currency: 'USD' } }),
    ]);
    const first = await checkOut(buyer, [mug]);
    const second = await checkOut(buyer, [plate]);
    await payByTestCard(buyer, first.paymentId);
    await payByTestCard(buyer, second.paymentId);
    const orderStatus = async (id: string) => (await buyer.client.ok<{ order: { status: string } }>('Order', { id })).order.status;
    for (const { orders } of [first, second]) await eventually(async () => expect(await orderStatus(orders[0].id)).toBe('PAID'));

    await operator.client.ok('SuspendSeller', { sellerId: seller.sellerId, reason: 'Under investigation' });
    // payments heard of it before the money is released (the suspension reaches each subgraph by event)
    await eventually(async () => expect(published('SellerStatusChanged', (p: { sellerId: string }) => p.sellerId === seller.sellerId)).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 500));

    const orderId = first.orders[0].id;
    await seller.client.ok('AcceptOrder', { id: orderId });
    await seller.client.ok('ShipOrder', { id: orderId, trackingNumber: '1Z999' });
    await buyer.client.ok('ConfirmDelivery', { id: orderId });
    await eventually(async () => expect(await orderStatus(orderId)).toBe('COMPLETED'));
    // the other paid order can still be cancelled, and the buyer is refunded
    await seller.client.ok('CancelOrder', { id: second.orders[0].id, reason: 'Cannot ship it now' });
    await eventually(async () => expect((await inboxOf(buyer)).map((n) => n.kind)).toContain('REFUND_ISSUED'));

    type SellerMoney = { balance: { available: Money; paidOut: Money }; transfers: { totalCount: number; edges: { node: { status: string; amount: Money } }[] } };
    const moneyOf = async () => (await seller.client.ok<{ me: { seller: SellerMoney } }>('SellerMoney', {})).me.seller;
    const net = (await seller.client.ok<{ order: { payout: { net: Money } } }>('Order', { id: orderId })).order.payout.net.amount;
    expect(net).toBeGreaterThan(0);
    await eventually(async () => expect((await moneyOf()).balance.available.amount).toBe(net));
    // released, yet not transferred while suspended (the release tried at once; give it time to have done so)
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await moneyOf()).toMatchObject({ balance: { available: { amount: net }, paidOut: { amount: 0 } }, transfers: { totalCount: 0 } });

    await operator.client.ok('ReinstateSeller', { sellerId: seller.sellerId });
    await eventually(async () => expect((await moneyOf()).transfers.edges.map((e) => e.node.status)).toEqual(['PAID']));
    expect((await moneyOf()).balance).toMatchObject({ available: { amount: 0 }, paidOut: { amount: net } });
  });

  test('authorization walk: reports by signed-in users, removals and suspensions by operators with two-factor only', async () => {
    const [seller, buyer, otherSeller] = await Promise.all([newSeller(stack.client), signUp(stack.client), newSeller(stack.client)]);
    const listing = await newListing(seller.client, { title: 'Walked listing' });
    const actors = {
      anonymous: stack.client,
      buyer: buyer.client,
      seller: seller.client,
      otherSeller: otherSeller.client,
      roleWithoutTwoFactor,
      operator: operator.client,
    };
    const step = accessWalk<keyof typeof actors>(() => actors);
    await step('ReportListing', () => ({ listingId: listing, reason: 'SPAM' }), {
      anonymous: 'UNAUTHENTICATED',
      seller: 'FORBIDDEN',
      buyer: 'ok',
    });
    const operatorOnly = { anonymous: 'UNAUTHENTICATED', buyer: 'FORBIDDEN', seller: 'FORBIDDEN', otherSeller: 'FORBIDDEN', roleWithoutTwoFactor: 'FORBIDDEN' } as const;
    await step('SuspendSeller', () => ({ sellerId: seller.sellerId, reason: 'Walk' }), { ...operatorOnly, operator: 'ok' });
    await step('ReinstateSeller', () => ({ sellerId: seller.sellerId }), { ...operatorOnly, operator: 'ok' });
    await step('RemoveListing', () => ({ id: listing, reason: 'Walk' }), { ...operatorOnly, operator: 'ok' });
    // the refusals did nothing: one suspension and one reinstatement, one removal
    await eventually(async () => expect(published('SellerStatusChanged', (p: { sellerId: string }) => p.sellerId === seller.sellerId)).toHaveLength(2));
    await eventually(async () => expect(published('ListingRemoved', (p: { listingId: string }) => p.listingId === listing)).toHaveLength(1));
  });
});
