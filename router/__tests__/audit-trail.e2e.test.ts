import { eventually } from '../../lib/testing/eventually';
import { checkOut, newListing, newOperator, newSeller, payByTestCard, signUp, type TestUser } from '../../lib/testing/marketplace';
import { STACK_MODES, startTestStack, type TestStack } from '../../scripts/test-stack';
import { verifyChain } from '../../subgraphs/accounts/audit-log';
import { OPERATOR, grantRole } from '../../subgraphs/accounts/roles';

/**
 * Contract step 19 through the router, on PostgreSQL and on the embedded default: an operator's
 * decisions, made in four subgraphs (a dispute in orders, moderation in reputation, a removal in
 * listings, a suspension in accounts), all reach the one audit log in accounts, each with the operator
 * as actor and what it acted on as target, and the log's hash chain verifies after them.
 */
interface Entry {
  action: string;
  actorId: string | null;
  targetType: string;
  targetId: string;
  requestId: string | null;
}

describe.each(STACK_MODES)('the audit trail of trust and safety on %s', (mode) => {
  let stack: TestStack;
  let seller: TestUser;
  let buyer: TestUser;
  let reporter: TestUser;
  let operator: TestUser;

  beforeAll(async () => {
    stack = await startTestStack({ embedded: mode === 'embedded' });
    [seller, buyer, reporter] = await Promise.all([newSeller(stack.client), signUp(stack.client), signUp(stack.client)]);
    operator = await newOperator(stack.client, (email) => grantRole(stack.subgraphs.accounts.db, email, OPERATOR));
  });
  afterAll(() => stack?.stop());

  const statusOf = async (orderId: string) => (await buyer.client.ok<{ order: { status: string } }>('Order', { id: orderId })).order.status;

  async function shippedOrder(title: string): Promise<string> {
    const listing = await newListing(seller.client, { title, stock: 1 });
    const purchase = await checkOut(buyer, [listing]);
    await payByTestCard(buyer, purchase.paymentId);
    const orderId = purchase.orders[0].id;
    await eventually(async () => expect(await statusOf(orderId)).toBe('PAID'));
    await seller.client.ok('AcceptOrder', { id: orderId });
    await seller.client.ok('ShipOrder', { id: orderId, trackingNumber: '1Z999' });
    return orderId;
  }

  test('step 19: the operator’s dispute decision, moderation, removal and suspension are in the log, and its chain verifies', async () => {
    // a dispute, decided for the seller
    const disputed = await shippedOrder('Audited kettle');
    const { openDispute } = await buyer.client.ok<{ openDispute: { id: string } }>('OpenDispute', { orderId: disputed, reason: 'NOT_RECEIVED', details: 'Nothing came' });
    await operator.client.ok('ResolveDispute', { id: openDispute.id, outcome: 'RELEASE_TO_SELLER', note: 'Tracking shows it delivered' });

    // a review, reported and then removed by the operator
    const reviewed = await shippedOrder('Audited teapot');
    await buyer.client.ok('ConfirmDelivery', { id: reviewed });
    const review = await eventually(async () => {
      const { createReview } = await buyer.client.ok<{ createReview: { id: string } }>('CreateReview', { input: { orderId: reviewed, rating: 1, body: 'Rude words here' } });
      return createReview.id;
    });
    await reporter.client.ok('ReportReview', { reviewId: review, reason: 'OFFENSIVE' });
    await operator.client.ok('ModerateReview', { reviewId: review, decision: 'REMOVE', note: 'Insults, not a review' });

    // a listing removed, and the seller suspended
    const listing = await newListing(seller.client, { title: 'Audited counterfeit', stock: 1 });
    await operator.client.ok('RemoveListing', { id: listing, reason: 'Counterfeit goods' });
    await operator.client.ok('SuspendSeller', { sellerId: seller.sellerId, reason: 'Counterfeits' });

    const expected: [string, string, string][] = [
      ['dispute.resolved', 'dispute', openDispute.id],
      ['review.moderated', 'review', review],
      ['listing.removed', 'listing', listing],
      ['seller.suspended', 'seller', seller.sellerId!],
    ];
    const entries = await eventually(async () => {
      const { auditLog } = await operator.client.ok<{ auditLog: { edges: { node: Entry }[] } }>('AuditLog', { filter: { actorId: operator.userId }, first: 50 });
      const nodes = auditLog.edges.map((e) => e.node);
      for (const [action] of expected) expect(nodes.map((n) => n.action)).toContain(action);
      return nodes;
    });
    for (const [action, targetType, targetId] of expected) {
      expect(entries.find((e) => e.action === action)).toMatchObject({ actorId: operator.userId, targetType, targetId, requestId: expect.any(String) });
    }
    // newest first: the suspension was the operator's last act
    expect(entries[0].action).toBe('seller.suspended');

    const report = await stack.subgraphs.accounts.db.transaction((manager) => verifyChain(manager));
    expect(report.broken).toBeNull();
  });
});
