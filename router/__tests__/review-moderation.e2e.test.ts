import { codes, type GraphQLClient } from '../../lib/client/graphql-client';
import { accessWalk } from '../../lib/testing/access-walk';
import { eventually } from '../../lib/testing/eventually';
import { checkOut, newListing, newOperator, newSeller, payByTestCard, signUp, TEST_PASSWORD, type TestUser } from '../../lib/testing/marketplace';
import { OPERATOR, grantRole } from '../../subgraphs/accounts/roles';
import { STACK_MODES, startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Reviews you can trust through the router, on PostgreSQL and on the embedded default: contract step 15 (a burst of
 * five brand-new accounts' 5-star reviews is held, queued for operators and kept out of the score; removed, the score
 * never moved, nor listings' ranking copy of it), the seller's reply, users' reports, a listing's report reaching the
 * queue with the listing's title from listings, and the authorization walk of every operation this part adds.
 */
type Actor = 'anonymous' | 'stranger' | 'otherSeller' | 'buyer' | 'seller' | 'operatorWithout2fa' | 'operator';

interface SellerReviews {
  seller: {
    id: string;
    reputation: { score: number; reviewCount: number };
    reviews: { totalCount: number; edges: { node: { id: string; rating: number; body: string; reply: { body: string; at: string } | null } }[] };
  };
}
interface QueueItem {
  id: string;
  reasons: string[];
  createdAt: string;
  review: { id: string; rating: number; body: string } | null;
  listing: { id: string; title: string } | null;
}
interface Queue {
  moderationQueue: { totalCount: number; edges: { node: QueueItem }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** The prior mean a seller without counted reviews scores (REPUTATION_PRIOR_MEAN's default). */
const PRIOR_MEAN = 3.5;

describe.each(STACK_MODES)('review moderation on %s', (mode) => {
  let stack: TestStack;
  let operator: TestUser;
  let operatorWithout2fa: GraphQLClient;

  beforeAll(async () => {
    stack = await startTestStack({ embedded: mode === 'embedded' });
    const grant = (email: string) => grantRole(stack.subgraphs.accounts.db, email, OPERATOR);
    operator = await newOperator(stack.client, grant);
    // the role, signed in with a password only: not an operator for any request
    const half = await signUp(stack.client, 'Half operator', { address: false });
    await grant(half.email);
    const { logIn } = await stack.client.ok<{ logIn: { token: string } }>('LogIn', { input: { email: half.email, password: TEST_PASSWORD } });
    operatorWithout2fa = stack.client.as(logIn.token);
  });
  afterAll(() => stack?.stop());

  /** A paid order of one listing, shipped by the seller and confirmed by the buyer: reviewable once reputation hears. */
  async function deliveredOrder(buyer: TestUser, seller: TestUser, listingId: string): Promise<string> {
    const purchase = await checkOut(buyer, [listingId]);
    await payByTestCard(buyer, purchase.paymentId);
    const orderId = purchase.orders[0].id;
    await eventually(() => seller.client.ok('AcceptOrder', { id: orderId }));
    await seller.client.ok('ShipOrder', { id: orderId, trackingNumber: 'TRACK-15' });
    await buyer.client.ok('ConfirmDelivery', { id: orderId });
    return orderId;
  }

  /** The buyer's review, once reputation has heard the order was delivered. */
  const review = (buyer: TestUser, orderId: string, rating: number, body: string) =>
    eventually(async () => (await buyer.client.ok<{ createReview: { id: string } }>('CreateReview', { input: { orderId, rating, body } })).createReview.id);

  const sellerReviews = async (seller: TestUser) => (await stack.client.ok<SellerReviews>('SellerReviews', { sellerId: seller.sellerId })).seller;
  const queue = async () => (await operator.client.ok<Queue>('ModerationQueue', { first: 100 })).moderationQueue;
  /** listings' copy of the seller's score, which search ranks by (null until its first event arrives). */
  const rankingCopy = async (sellerId: string) => {
    const rows: { score: number; review_count: number }[] = await stack.subgraphs.listings.db.transaction((m) =>
      m.query(`SELECT score, review_count FROM seller_reputation WHERE seller_id = $1`, [sellerId]),
    );
    return rows[0] ? { score: Number(rows[0].score), reviewCount: rows[0].review_count } : null;
  };

  test('step 15: five brand-new accounts praise one seller within the hour: held, queued, out of the score; removed, the score never moved', async () => {
    const seller = await newSeller(stack.client);
    const trinket = await newListing(seller.client, { title: 'Cheap trinket', price: { amount: 150, currency: 'USD' }, stock: 20 });
    const before = await sellerReviews(seller);
    expect(before.reputation).toEqual({ score: PRIOR_MEAN, reviewCount: 0 });

    const buyers = await Promise.all([1, 2, 3, 4, 5].map((n) => signUp(stack.client, `Fresh account ${n}`)));
    const orders = await Promise.all(buyers.map((buyer) => deliveredOrder(buyer, seller, trinket)));
    const reviewIds: string[] = [];
    for (const [i, buyer] of buyers.entries()) reviewIds.push(await review(buyer, orders[i], 5, `Best trinket ever, buyer ${i + 1}`));

    // held: not shown, not counted
    const after = await sellerReviews(seller);
    expect(after.reputation).toEqual(before.reputation);
    expect(after.reviews).toEqual({ totalCount: 0, edges: [] });
    // each in the queue, with the signal that fired
    const items = (await queue()).edges.map((e) => e.node).filter((item) => item.review && reviewIds.includes(item.review.id));
    expect(items.map((item) => item.review!.id).sort()).toEqual([...reviewIds].sort());
    for (const item of items) {
      expect(item.reasons).toContain('SELLER_BURST');
      expect(item).toMatchObject({ review: { rating: 5 }, listing: null });
    }
    // oldest first
    expect([...items].sort((a, b) => a.createdAt.localeCompare(b.createdAt))).toEqual(items);
    // listings' ranking copy ends where it started: no counted review
    await eventually(async () => expect(await rankingCopy(seller.sellerId!)).toEqual({ score: PRIOR_MEAN, reviewCount: 0 }));

    // the operator removes them: gone from the queue, and the score never moved
    for (const reviewId of reviewIds) {
      const { moderateReview } = await operator.client.ok<{ moderateReview: { id: string; status: string } }>('ModerateReview', {
        reviewId,
        decision: 'REMOVE',
        note: 'Burst of new accounts buying trinkets to praise their seller',
      });
      expect(moderateReview).toEqual({ id: reviewId, status: 'REMOVED' });
    }
    const remaining = (await queue()).edges.filter((e) => e.node.review && reviewIds.includes(e.node.review.id));
    expect(remaining).toEqual([]);
    expect((await sellerReviews(seller)).reputation).toEqual(before.reputation);
    expect(await rankingCopy(seller.sellerId!)).toEqual({ score: PRIOR_MEAN, reviewCount: 0 });
    // a removal is final
    expect(codes(await operator.client.op('ModerateReview', { reviewId: reviewIds[0], decision: 'APPROVE', note: 'Changed my mind' }))).toEqual(['CONFLICT']);
  });

  test('a reply, reports, a listing report in the queue, and who may do each', async () => {
    const [seller, otherSeller, buyer, stranger] = await Promise.all([newSeller(stack.client), newSeller(stack.client), signUp(stack.client), signUp(stack.client)]);
    const actors: Record<Actor, GraphQLClient> = {
      anonymous: stack.client,
      stranger: stranger.client,
      otherSeller: otherSeller.client,
      buyer: buyer.client,
      seller: seller.client,
      operatorWithout2fa,
      operator: operator.client,
    };
    const step = accessWalk<Actor>(() => actors);
    const kettle = await newListing(seller.client, { title: 'Whistling kettle', stock: 5 });
    const orderId = await deliveredOrder(buyer, seller, kettle);
    const reviewId = await review(buyer, orderId, 2, 'The whistle is quieter than the description says.');
    // public
    await step('SellerReviews', () => ({ sellerId: seller.sellerId }), { anonymous: 'ok' });
    expect((await sellerReviews(seller)).reputation.reviewCount).toBe(1);

    // the seller of the reviewed order answers, once
    await step('ReplyToReview', () => ({ reviewId, body: 'Sorry to hear it: we will send a louder whistle.' }), {
      anonymous: 'UNAUTHENTICATED',
      stranger: 'FORBIDDEN',
      otherSeller: 'FORBIDDEN',
      buyer: 'FORBIDDEN',
      operator: 'FORBIDDEN',
      seller: 'ok',
    });
    await step('ReplyToReview', () => ({ reviewId, body: 'And again' }), { seller: 'CONFLICT' });
    expect(codes(await seller.client.op('ReplyToReview', { reviewId, body: ' ' }))).toEqual(['BAD_USER_INPUT']);
    const [shown] = (await sellerReviews(seller)).reviews.edges.map((e) => e.node);
    expect(shown).toMatchObject({ id: reviewId, rating: 2, reply: { body: 'Sorry to hear it: we will send a louder whistle.' } });

    // any signed-in user reports it, once each; it stays shown and enters the queue with the reasons
    await step('ReportReview', () => ({ reviewId, reason: 'FAKE', details: 'The buyer works for a competitor' }), {
      anonymous: 'UNAUTHENTICATED',
      seller: 'ok',
    });
    await step('ReportReview', () => ({ reviewId, reason: 'OFFENSIVE' }), { stranger: 'ok' });
    await step('ReportReview', () => ({ reviewId, reason: 'SPAM' }), { stranger: 'CONFLICT', seller: 'CONFLICT' });
    expect(codes(await stranger.client.op('ReportReview', { reviewId, reason: 'SPAM', details: 'x'.repeat(1001) }))).toEqual(['BAD_USER_INPUT']);
    expect((await sellerReviews(seller)).reputation.reviewCount).toBe(1);

    // a user reports one of the seller's listings through listings; its ListingReported event queues it, with the
    // listing's title from listings
    await stranger.client.ok('ReportListing', { listingId: kettle, reason: 'COUNTERFEIT' });
    await eventually(async () =>
      expect((await queue()).edges.map((e) => e.node).find((item) => item.listing?.id === kettle)).toMatchObject({
        reasons: ['COUNTERFEIT'],
        review: null,
        listing: { id: kettle, title: 'Whistling kettle' },
      }),
    );

    // operators only: the queue, decisions on reviews, dismissing a listing's reports
    const refusals = {
      anonymous: 'UNAUTHENTICATED',
      stranger: 'FORBIDDEN',
      otherSeller: 'FORBIDDEN',
      buyer: 'FORBIDDEN',
      seller: 'FORBIDDEN',
      operatorWithout2fa: 'FORBIDDEN',
    } as const;
    await step('ModerationQueue', () => ({ first: 100 }), {
      ...refusals,
      operator: (response) => {
        expect(response.errors).toBeUndefined();
        const items = (response.data as unknown as Queue).moderationQueue.edges.map((e) => e.node);
        expect(items.find((item) => item.review?.id === reviewId)?.reasons).toEqual(['FAKE', 'OFFENSIVE']);
      },
    });
    await step('ModerateReview', () => ({ reviewId, decision: 'APPROVE', note: 'A real buyer; the reply answers it' }), { ...refusals, operator: 'ok' });
    expect((await queue()).edges.some((e) => e.node.review?.id === reviewId)).toBe(false);
    expect((await sellerReviews(seller)).reputation.reviewCount).toBe(1);
    await step('DismissListingReports', () => ({ listingId: kettle, note: 'A genuine kettle; invoice checked' }), { ...refusals, operator: 'ok' });
    await step('DismissListingReports', () => ({ listingId: kettle, note: 'Again' }), { operator: 'NOT_FOUND' });
    expect((await queue()).edges.some((e) => e.node.listing?.id === kettle)).toBe(false);
  });

  test('a reported listing that an operator removes leaves the queue', async () => {
    const [seller, reporter] = await Promise.all([newSeller(stack.client), signUp(stack.client)]);
    const fake = await newListing(seller.client, { title: 'Designer bag, very genuine', stock: 1 });
    await reporter.client.ok('ReportListing', { listingId: fake, reason: 'COUNTERFEIT', details: 'The logo is misspelt' });
    await eventually(async () => expect((await queue()).edges.find((e) => e.node.listing?.id === fake)?.node.reasons).toEqual(['COUNTERFEIT']));
    await operator.client.ok('RemoveListing', { id: fake, reason: 'Counterfeit goods' });
    await eventually(async () => expect((await queue()).edges.some((e) => e.node.listing?.id === fake)).toBe(false));
  });
});
