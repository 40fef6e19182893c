import { randomUUID } from 'node:crypto';
import type { Viewer } from '../../../lib/auth/viewer';
import { codes } from '../../../lib/client/graphql-client';
import { isEvent, type MarketplaceEvent } from '../../../lib/events/catalog';
import type { EventEnvelope } from '../../../lib/events/types';
import { eventually } from '../../../lib/testing/eventually';
import { summarise } from '../reputation';
import { DEFAULT_PRIOR } from '../../../lib/reputation-prior';
import { buyerViewer, CREATE_REVIEW, lifeUpTo, newOrder, sellerViewer, startReputation, type ReputationHarness, type TestOrder } from './harness';

/**
 * Reviews you can trust, on the reputation subgraph alone: each fake-review signal with a scenario
 * that fires it and one that must not, the score (and the event listings' ranking copy follows)
 * through every hold and decision, the seller's reply, users' reports, listings' reports from their
 * events, and the operators' queue and decisions. Default thresholds (config.ts): new = under 7 days,
 * SELLER_BURST = 3 new accounts in 24 hours, NEW_ACCOUNT_BURST = more than 3 + 1 per day of age,
 * DUPLICATE_TEXT = 20 normalised characters or more.
 */
let h: ReputationHarness;
const published: EventEnvelope[] = [];
beforeAll(async () => {
  h = await startReputation();
  await h.bus.subscribe('observer', async (event) => {
    published.push(event);
  });
});
afterAll(() => h?.stop());

const HOUR = 3600_000;
const DAY = 24 * HOUR;

const operator: Viewer = { userId: randomUUID(), roles: ['buyer', 'operator'], scopes: ['buyer', 'operator'] };
/** Has the role but signed in without two-factor: not an operator for this request. */
const operatorWithout2fa: Viewer = { userId: randomUUID(), roles: ['buyer', 'operator'], scopes: ['buyer'] };

const REVIEW = `id rating body status reply { body at } seller { id }`;
const CREATE = CREATE_REVIEW;
const SELLER = /* GraphQL */ `
  query Seller($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Seller { id reputation { score reviewCount } reviews(first: 50) { totalCount edges { node { ${REVIEW} } } } }
    }
  }
`;
const REPLY = `mutation Reply($reviewId: ID!, $body: String!) { replyToReview(reviewId: $reviewId, body: $body) { ${REVIEW} } }`;
const REPORT = `mutation Report($reviewId: ID!, $reason: ReportReason!, $details: String) { reportReview(reviewId: $reviewId, reason: $reason, details: $details) }`;
const MODERATE = `mutation Moderate($reviewId: ID!, $decision: ModerationDecision!, $note: String!) {
  moderateReview(reviewId: $reviewId, decision: $decision, note: $note) { id status }
}`;
const DISMISS = `mutation Dismiss($listingId: ID!, $note: String!) { dismissListingReports(listingId: $listingId, note: $note) }`;
const QUEUE = /* GraphQL */ `
  query Queue($first: Int, $after: String) {
    moderationQueue(first: $first, after: $after) {
      totalCount
      edges { cursor node { id reasons createdAt review { id rating body status } listing { id } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface Item {
  id: string;
  reasons: string[];
  createdAt: string;
  review: { id: string; rating: number; body: string; status: string } | null;
  listing: { id: string } | null;
}
interface Queue {
  totalCount: number;
  edges: { cursor: string; node: Item }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const q = (sql: string, ...ids: string[]) => h.sql(sql, ...ids);

/** A user accounts made `ageMs` ago, as its UserRegistered event tells reputation. */
async function account(ageMs: number): Promise<string> {
  const userId = randomUUID();
  const at = new Date(Date.now() - ageMs).toISOString();
  await h.bus.publish([
    { id: randomUUID(), type: 'UserRegistered', source: 'accounts', occurredAt: at, payload: { userId, email: `${userId}@example.com`, displayName: 'New', at } },
  ]);
  await eventually(async () => expect(await q(`SELECT 1 FROM known_accounts WHERE user_id = $1`, userId)).toHaveLength(1));
  return userId;
}

async function deliveredOrder(overrides: Partial<TestOrder>): Promise<TestOrder> {
  const order = newOrder(overrides);
  await h.bus.publish(lifeUpTo(order, 'DELIVERED'));
  await eventually(async () => expect((await q(`SELECT status FROM known_orders WHERE id = $1`, order.orderId))[0]?.status).toBe('DELIVERED'));
  return order;
}

interface Written {
  id: string;
  status: string;
}
/** The buyer reviews a delivered order of the seller's. */
async function reviewed(buyerId: string, sellerId: string, rating = 5, body = 'Fine'): Promise<Written> {
  const order = await deliveredOrder({ buyerId, sellerId });
  const result = await h.call<{ createReview: Written }>(buyerViewer(buyerId), CREATE.replace('createdAt', 'createdAt status'), {
    input: { orderId: order.orderId, rating, body },
  });
  expect(result.errors).toBeUndefined();
  return result.data!.createReview;
}

const statusOf = async (reviewId: string) => (await q(`SELECT status FROM reviews WHERE id = $1`, reviewId))[0]?.status;
const statuses = (reviews: Written[]) => Promise.all(reviews.map((r) => statusOf(r.id)));

interface SellerView {
  reputation: { score: number; reviewCount: number };
  reviews: { totalCount: number; edges: { node: { id: string; status: string; reply: { body: string; at: string } | null } }[] };
}
async function seller(sellerId: string): Promise<SellerView> {
  const result = await h.call<{ _entities: SellerView[] }>(null, SELLER, { representations: [{ __typename: 'Seller', id: sellerId }] });
  expect(result.errors).toBeUndefined();
  return result.data!._entities[0];
}
const listed = async (sellerId: string) => (await seller(sellerId)).reviews.edges.map((e) => e.node.id).sort();

async function queue(): Promise<Item[]> {
  const result = await h.call<{ moderationQueue: Queue }>(operator, QUEUE, { first: 100 });
  expect(result.errors).toBeUndefined();
  const items = result.data!.moderationQueue.edges.map((e) => e.node);
  // more than a page: the rest
  let page = result.data!.moderationQueue;
  while (page.pageInfo.hasNextPage) {
    const next = await h.call<{ moderationQueue: Queue }>(operator, QUEUE, { first: 100, after: page.pageInfo.endCursor });
    page = next.data!.moderationQueue;
    items.push(...page.edges.map((e) => e.node));
  }
  return items;
}
const itemOfReview = async (reviewId: string) => (await queue()).find((item) => item.review?.id === reviewId);
const itemOfListing = async (listingId: string) => (await queue()).find((item) => item.listing?.id === listingId);

/** The last score reputation told the other subgraphs of, for a seller. */
const lastScore = (sellerId: string) =>
  published
    .filter((e): e is MarketplaceEvent<'SellerReputationChanged'> => isEvent(e, 'SellerReputationChanged') && e.payload.sellerId === sellerId)
    .sort((a, b) => a.payload.at.localeCompare(b.payload.at))
    .at(-1)?.payload;

const scoreOf = (...ratings: number[]) => {
  const counts: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  for (const rating of ratings) counts[rating - 1] += 1;
  return summarise({ counts }, DEFAULT_PRIOR);
};

const moderate = (reviewId: string, decision: 'APPROVE' | 'REMOVE', as: Viewer = operator, note = 'Checked the orders') =>
  h.call<{ moderateReview: { id: string; status: string } }>(as, MODERATE, { reviewId, decision, note });

describe('SELLER_BURST: several brand-new accounts reviewing one seller within a short window', () => {
  test('fires at the third new account: all three reviews are held, out of the list and the score, queued with the reason', async () => {
    const sellerId = randomUUID();
    const buyers = await Promise.all([1, 2, 3].map(() => account(HOUR)));
    const first = await reviewed(buyers[0], sellerId);
    const second = await reviewed(buyers[1], sellerId);
    // two new accounts are not yet a burst: published, counted, told
    expect(await statuses([first, second])).toEqual(['PUBLISHED', 'PUBLISHED']);
    expect((await seller(sellerId)).reputation.reviewCount).toBe(2);
    await eventually(async () => expect(lastScore(sellerId)?.reviewCount).toBe(2));

    const third = await reviewed(buyers[2], sellerId);
    expect(third.status).toBe('HELD');
    // the earlier ones of the pattern too
    expect(await statuses([first, second, third])).toEqual(['HELD', 'HELD', 'HELD']);
    const view = await seller(sellerId);
    expect(view.reputation).toEqual({ score: scoreOf().score, reviewCount: 0 });
    expect(view.reviews.totalCount).toBe(0);
    expect(view.reviews.edges).toEqual([]);
    // listings' ranking copy hears the score fall back
    await eventually(async () => expect(lastScore(sellerId)).toMatchObject({ reviewCount: 0, score: scoreOf().score }));
    for (const review of [first, second, third]) {
      expect((await itemOfReview(review.id))?.reasons).toEqual(['SELLER_BURST']);
    }
    // the seller hears of a held review only once it is approved
    await h.bus.settled();
    const posted = (id: string) => published.some((e) => isEvent(e, 'ReviewPosted') && e.payload.reviewId === id);
    expect([first, second, third].map((r) => posted(r.id))).toEqual([true, true, false]);
  });

  test('must not fire: two new accounts, old accounts and accounts made before reputation listened, all reviewing one seller', async () => {
    const sellerId = randomUUID();
    const buyers = [
      ...(await Promise.all([1, 2].map(() => account(HOUR)))),
      ...(await Promise.all([1, 2, 3].map(() => account(30 * DAY)))),
      randomUUID(), // no UserRegistered ever heard
      randomUUID(),
    ];
    const reviews: Written[] = [];
    for (const buyer of buyers) reviews.push(await reviewed(buyer, sellerId, 4));
    expect(await statuses(reviews)).toEqual(reviews.map(() => 'PUBLISHED'));
    expect((await seller(sellerId)).reputation).toEqual({ score: scoreOf(4, 4, 4, 4, 4, 4, 4).score, reviewCount: 7 });
    const ids = reviews.map((_, i) => `$${i + 1}`).join(', ');
    expect(await q(`SELECT count(*)::int AS n FROM review_signals WHERE review_id IN (${ids})`, ...reviews.map((r) => r.id))).toEqual([{ n: 0 }]);
  });

  test('must not fire: accounts that were new long ago (their reviews are a week old) and a burst on another seller', async () => {
    const sellerId = randomUUID();
    const [a, b] = await Promise.all([account(10 * DAY), account(10 * DAY)]);
    // two reviews written when those accounts were an hour old, nine days ago
    const early = [await reviewed(a, sellerId), await reviewed(b, sellerId)];
    await q(`UPDATE reviews SET created_at = now() - interval '9 days 23 hours' WHERE id IN ($1, $2)`, early[0].id, early[1].id);
    const fresh = await account(HOUR);
    const now = await reviewed(fresh, sellerId);
    expect(await statuses([...early, now])).toEqual(['PUBLISHED', 'PUBLISHED', 'PUBLISHED']);
  });
});

describe('NEW_ACCOUNT_BURST: an account reviewing far more than its age allows', () => {
  test('an hour-old account writing a fourth review (3 allowed on the first day) has all four held, on every seller', async () => {
    const buyer = await account(HOUR);
    const sellers = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const reviews: Written[] = [];
    for (const [i, sellerId] of sellers.entries()) reviews.push(await reviewed(buyer, sellerId, 5, `Review number ${i}`));
    expect(reviews.map((r) => r.status)).toEqual(['PUBLISHED', 'PUBLISHED', 'PUBLISHED', 'HELD']);
    expect(await statuses(reviews)).toEqual(['HELD', 'HELD', 'HELD', 'HELD']);
    for (const sellerId of sellers) {
      expect((await seller(sellerId)).reputation.reviewCount).toBe(0);
      await eventually(async () => expect(lastScore(sellerId)?.reviewCount ?? 0).toBe(0));
    }
    expect((await itemOfReview(reviews[0].id))?.reasons).toEqual(['NEW_ACCOUNT_BURST']);
  });

  test('must not fire: a ten-day-old account writing five (13 allowed), an unknown account writing five, a new one writing three', async () => {
    const [older, fresh] = await Promise.all([account(10 * DAY), account(HOUR)]);
    const unknown = randomUUID();
    const reviews: Written[] = [];
    for (const [buyer, n] of [[older, 5], [unknown, 5], [fresh, 3]] as const) {
      for (let i = 0; i < n; i += 1) reviews.push(await reviewed(buyer, randomUUID(), 4, `Review ${i}`));
    }
    expect(await statuses(reviews)).toEqual(reviews.map(() => 'PUBLISHED'));
  });
});

describe('DUPLICATE_TEXT: the same text as another review, normalised', () => {
  test('the same words with other case, spacing and punctuation, by other accounts of other sellers: both held', async () => {
    const [sellerA, sellerB] = [randomUUID(), randomUUID()];
    const original = await reviewed(randomUUID(), sellerA, 5, 'Amazing quality, arrived in two days! Highly recommended.');
    expect(original.status).toBe('PUBLISHED');
    const copy = await reviewed(randomUUID(), sellerB, 5, '  amazing   quality arrived in two days -- highly RECOMMENDED ');
    expect(await statuses([original, copy])).toEqual(['HELD', 'HELD']);
    expect((await itemOfReview(original.id))?.reasons).toEqual(['DUPLICATE_TEXT']);
    expect(await listed(sellerA)).toEqual([]);
    await eventually(async () => expect(lastScore(sellerA)?.reviewCount).toBe(0));
  });

  test('must not fire: short common texts repeated, and long texts that differ', async () => {
    const reviews = [
      await reviewed(randomUUID(), randomUUID(), 5, 'Great seller!'),
      await reviewed(randomUUID(), randomUUID(), 5, 'great seller'),
      await reviewed(randomUUID(), randomUUID(), 5, 'The lamp arrived well packed and works fine.'),
      await reviewed(randomUUID(), randomUUID(), 5, 'The chair arrived well packed and works fine.'),
      await reviewed(randomUUID(), randomUUID(), 3, ''),
      await reviewed(randomUUID(), randomUUID(), 3, ''),
    ];
    expect(await statuses(reviews)).toEqual(reviews.map(() => 'PUBLISHED'));
  });
});

describe('operators decide; the score follows every decision', () => {
  /** A seller with one published 3-star review and three 5-star reviews held by a burst. */
  async function burstSeller() {
    const sellerId = randomUUID();
    const honest = await reviewed(await account(60 * DAY), sellerId, 3, `Took a while but fine, parcel ${randomUUID().slice(0, 8)}`);
    const held: Written[] = [];
    for (const buyer of await Promise.all([1, 2, 3].map(() => account(HOUR)))) held.push(await reviewed(buyer, sellerId, 5));
    expect(await statuses(held)).toEqual(['HELD', 'HELD', 'HELD']);
    expect((await seller(sellerId)).reputation).toEqual({ score: scoreOf(3).score, reviewCount: 1 });
    return { sellerId, honest, held };
  }

  test('APPROVE publishes a held review (counted, listed, told); REMOVE of a held one changes nothing counted; REMOVE of a published one takes it out', async () => {
    const { sellerId, honest, held } = await burstSeller();
    const approved = await moderate(held[0].id, 'APPROVE');
    expect(approved.errors).toBeUndefined();
    expect(approved.data!.moderateReview).toEqual({ id: held[0].id, status: 'PUBLISHED' });
    expect((await seller(sellerId)).reputation).toEqual({ score: scoreOf(3, 5).score, reviewCount: 2 });
    expect(await listed(sellerId)).toEqual([honest.id, held[0].id].sort());
    await eventually(async () => expect(lastScore(sellerId)).toMatchObject({ reviewCount: 2, score: scoreOf(3, 5).score }));
    // its seller hears of it now
    await eventually(async () => expect(published.some((e) => isEvent(e, 'ReviewPosted') && e.payload.reviewId === held[0].id)).toBe(true));
    expect(await itemOfReview(held[0].id)).toBeUndefined();

    expect((await moderate(held[1].id, 'REMOVE')).data!.moderateReview.status).toBe('REMOVED');
    expect((await seller(sellerId)).reputation.reviewCount).toBe(2);

    expect((await moderate(honest.id, 'REMOVE')).data!.moderateReview.status).toBe('REMOVED');
    expect((await seller(sellerId)).reputation).toEqual({ score: scoreOf(5).score, reviewCount: 1 });
    await eventually(async () => expect(lastScore(sellerId)).toMatchObject({ reviewCount: 1, score: scoreOf(5).score }));

    // a removal is final; every decision is in the audit log
    expect(codes(await moderate(honest.id, 'APPROVE'))).toEqual(['CONFLICT']);
    expect(await statusOf(honest.id)).toBe('REMOVED');
    await eventually(async () => {
      const audited = published.filter((e): e is MarketplaceEvent<'AuditRecorded'> => isEvent(e, 'AuditRecorded') && e.payload.targetId === honest.id);
      expect(audited.map((e) => e.payload)).toEqual([
        expect.objectContaining({ action: 'review.moderated', actorId: operator.userId, targetType: 'review', details: expect.objectContaining({ decision: 'REMOVE', note: 'Checked the orders' }) }),
      ]);
    });
  });

  test('an approved review is never held again by a later review of the same burst', async () => {
    const { sellerId, held } = await burstSeller();
    await moderate(held[0].id, 'APPROVE');
    const late = await reviewed(await account(HOUR), sellerId, 5);
    expect(late.status).toBe('HELD');
    expect(await statuses([held[0], held[1], held[2]])).toEqual(['PUBLISHED', 'HELD', 'HELD']);
  });

  test('who decides: anonymous, a buyer, a seller and an operator without two-factor are refused, and nothing changes', async () => {
    const { held } = await burstSeller();
    expect(codes(await h.call(null, MODERATE, { reviewId: held[0].id, decision: 'APPROVE', note: 'x' }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await h.call(null, QUEUE, {}))).toEqual(['UNAUTHENTICATED']);
    for (const who of [buyerViewer(randomUUID()), sellerViewer(randomUUID(), randomUUID()), operatorWithout2fa]) {
      expect(codes(await moderate(held[0].id, 'APPROVE', who))).toEqual(['FORBIDDEN']);
      expect(codes(await h.call(who, QUEUE, {}))).toEqual(['FORBIDDEN']);
      expect(codes(await h.call(who, DISMISS, { listingId: randomUUID(), note: 'x' }))).toEqual(['FORBIDDEN']);
    }
    expect(await statusOf(held[0].id)).toBe('HELD');
  });

  test('bad input: an empty or overlong note is BAD_USER_INPUT, an unknown review NOT_FOUND; nothing changes', async () => {
    const { held } = await burstSeller();
    const outbox = async () => (await q(`SELECT count(*)::int AS n FROM outbox`))[0].n;
    const before = await outbox();
    for (const note of ['   ', 'x'.repeat(2001)]) {
      const result = await moderate(held[0].id, 'APPROVE', operator, note);
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].extensions?.field).toBe('note');
    }
    expect(codes(await moderate(randomUUID(), 'APPROVE'))).toEqual(['NOT_FOUND']);
    expect(codes(await moderate('not-a-review', 'APPROVE'))).toEqual(['NOT_FOUND']);
    expect(await statusOf(held[0].id)).toBe('HELD');
    expect(await outbox()).toBe(before);
  });
});

describe("the seller's reply", () => {
  test('the seller of the reviewed order answers once; the reply is shown with the review', async () => {
    const sellerId = randomUUID();
    const review = await reviewed(randomUUID(), sellerId, 2, 'Arrived late');
    const me = sellerViewer(randomUUID(), sellerId);
    for (const [who, code] of [
      [null, 'UNAUTHENTICATED'],
      [buyerViewer(randomUUID()), 'FORBIDDEN'],
      [sellerViewer(randomUUID(), randomUUID()), 'FORBIDDEN'],
    ] as const) {
      expect(codes(await h.call(who, REPLY, { reviewId: review.id, body: 'Sorry' }))).toEqual([code]);
    }
    for (const body of ['  ', 'x'.repeat(2001)]) expect(codes(await h.call(me, REPLY, { reviewId: review.id, body }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await h.call(me, REPLY, { reviewId: randomUUID(), body: 'Sorry' }))).toEqual(['NOT_FOUND']);

    const reply = await h.call<{ replyToReview: { reply: { body: string; at: string } } }>(me, REPLY, { reviewId: review.id, body: '  Sorry, the carrier lost a day.  ' });
    expect(reply.errors).toBeUndefined();
    expect(reply.data!.replyToReview.reply.body).toBe('Sorry, the carrier lost a day.');
    expect(Date.parse(reply.data!.replyToReview.reply.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(codes(await h.call(me, REPLY, { reviewId: review.id, body: 'Again' }))).toEqual(['CONFLICT']);
    const shown = (await seller(sellerId)).reviews.edges[0].node;
    expect(shown.reply?.body).toBe('Sorry, the carrier lost a day.');
  });

  test('a removed review takes no reply', async () => {
    const sellerId = randomUUID();
    const review = await reviewed(randomUUID(), sellerId, 1, 'Bad');
    await moderate(review.id, 'REMOVE');
    expect(codes(await h.call(sellerViewer(randomUUID(), sellerId), REPLY, { reviewId: review.id, body: 'But…' }))).toEqual(['CONFLICT']);
  });
});

describe("users' reports of reviews", () => {
  test('a report queues the review with its reason (still shown); each user once; more reasons gather on one item; approval settles it', async () => {
    const sellerId = randomUUID();
    const review = await reviewed(randomUUID(), sellerId, 1, 'This shop sells fakes, buy elsewhere at example.com');
    const [alice, bob] = [buyerViewer(randomUUID()), sellerViewer(randomUUID(), sellerId)];
    expect(codes(await h.call(null, REPORT, { reviewId: review.id, reason: 'SPAM' }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await h.call(alice, REPORT, { reviewId: review.id, reason: 'SPAM', details: 'x'.repeat(1001) }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await h.call(alice, REPORT, { reviewId: review.id, reason: 'NONSENSE' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await h.call(alice, REPORT, { reviewId: randomUUID(), reason: 'SPAM' }))).toEqual(['NOT_FOUND']);
    expect(await itemOfReview(review.id)).toBeUndefined();

    expect((await h.call(alice, REPORT, { reviewId: review.id, reason: 'SPAM', details: 'A link to another shop' })).data).toEqual({ reportReview: true });
    expect(codes(await h.call(alice, REPORT, { reviewId: review.id, reason: 'FAKE' }))).toEqual(['CONFLICT']);
    expect((await h.call(bob, REPORT, { reviewId: review.id, reason: 'FAKE' })).data).toEqual({ reportReview: true });
    const item = await itemOfReview(review.id);
    expect(item).toMatchObject({ reasons: ['SPAM', 'FAKE'], review: { id: review.id, rating: 1, status: 'PUBLISHED' }, listing: null });
    // reports alone hide nothing
    expect(await listed(sellerId)).toEqual([review.id]);

    await moderate(review.id, 'APPROVE');
    expect(await itemOfReview(review.id)).toBeUndefined();
    expect(await statusOf(review.id)).toBe('PUBLISHED');
    // a new report after the decision opens a new item; a removed review takes none
    await h.call(buyerViewer(randomUUID()), REPORT, { reviewId: review.id, reason: 'OFFENSIVE' });
    expect((await itemOfReview(review.id))?.reasons).toEqual(['OFFENSIVE']);
    await moderate(review.id, 'REMOVE');
    expect(codes(await h.call(buyerViewer(randomUUID()), REPORT, { reviewId: review.id, reason: 'SPAM' }))).toEqual(['CONFLICT']);
  });
});

test("a deleted account's words go from its reports and replies, and its age with them", async () => {
  const buyerId = await account(HOUR);
  const sellerUser = randomUUID();
  const sellerId = randomUUID();
  const review = await reviewed(randomUUID(), sellerId, 4, 'Solid');
  await h.call(buyerViewer(buyerId), REPORT, { reviewId: review.id, reason: 'OTHER', details: 'My own words' });
  await h.call(sellerViewer(sellerUser, sellerId), REPLY, { reviewId: review.id, body: 'Thanks, from the shop' });
  const at = new Date().toISOString();
  await h.bus.publish([
    { id: randomUUID(), type: 'AccountDeleted', source: 'accounts', occurredAt: at, payload: { userId: buyerId, sellerId: null, closedShopName: null, at } },
    { id: randomUUID(), type: 'AccountDeleted', source: 'accounts', occurredAt: at, payload: { userId: sellerUser, sellerId, closedShopName: 'Closed shop', at } },
  ]);
  await eventually(async () => expect(await q(`SELECT 1 FROM known_accounts WHERE user_id = $1`, buyerId)).toEqual([]));
  await eventually(async () => expect(await q(`SELECT reply_body FROM reviews WHERE id = $1`, review.id)).toEqual([{ reply_body: '' }]));
  expect(await q(`SELECT reason, details FROM review_reports WHERE reporter_id = $1`, buyerId)).toEqual([{ reason: 'OTHER', details: null }]);
});

describe("listings' reports, from listings' events", () => {
  const reported = (listingId: string, reason: string, at: Date, reportId = randomUUID()): MarketplaceEvent<'ListingReported'> => ({
    id: randomUUID(),
    type: 'ListingReported',
    source: 'listings',
    occurredAt: at.toISOString(),
    payload: { reportId, listingId, sellerId: randomUUID(), title: 'Suspicious watch', reporterId: randomUUID(), reason, details: null, at: at.toISOString() },
  });
  const removed = (listingId: string): MarketplaceEvent<'ListingRemoved'> => ({
    id: randomUUID(),
    type: 'ListingRemoved',
    source: 'listings',
    occurredAt: new Date().toISOString(),
    payload: { listingId, sellerId: randomUUID(), title: 'Suspicious watch', reason: 'Counterfeit', by: operator.userId, at: new Date().toISOString() },
  });

  test('reports gather on one item per listing with their reasons, once each even if redelivered; dismissing settles them (audited)', async () => {
    const listingId = randomUUID();
    const first = reported(listingId, 'COUNTERFEIT', new Date(Date.now() - 5000));
    await h.bus.publish([first, first, reported(listingId, 'MISLEADING', new Date()), reported(listingId, 'COUNTERFEIT', new Date())]);
    await eventually(async () => expect((await itemOfListing(listingId))?.reasons).toEqual(['COUNTERFEIT', 'MISLEADING']));
    const item = (await itemOfListing(listingId))!;
    expect(item).toMatchObject({ review: null, listing: { id: listingId }, createdAt: first.payload.at });
    expect(await q(`SELECT count(*)::int AS n FROM listing_reports WHERE listing_id = $1`, listingId)).toEqual([{ n: 3 }]);

    expect(codes(await h.call(operator, DISMISS, { listingId, note: '' }))).toEqual(['BAD_USER_INPUT']);
    expect(await itemOfListing(listingId)).toBeDefined();
    expect((await h.call(operator, DISMISS, { listingId, note: 'A genuine watch; receipt seen' })).data).toEqual({ dismissListingReports: true });
    expect(await itemOfListing(listingId)).toBeUndefined();
    expect(codes(await h.call(operator, DISMISS, { listingId, note: 'again' }))).toEqual(['NOT_FOUND']);
    await eventually(async () =>
      expect(published.filter((e) => isEvent(e, 'AuditRecorded') && e.payload.targetId === listingId).map((e) => e.payload)).toEqual([
        expect.objectContaining({ action: 'listing.reports_dismissed', actorId: operator.userId, targetType: 'listing' }),
      ]),
    );
  });

  test('a removed listing leaves the queue, and a report that arrives after its removal never enters it', async () => {
    const listingId = randomUUID();
    await h.bus.publish([reported(listingId, 'PROHIBITED', new Date())]);
    await eventually(async () => expect(await itemOfListing(listingId)).toBeDefined());
    await h.bus.publish([removed(listingId)]);
    await eventually(async () => expect(await itemOfListing(listingId)).toBeUndefined());

    const other = randomUUID();
    await h.bus.publish([removed(other), reported(other, 'SPAM', new Date())]);
    await eventually(async () => expect(await q(`SELECT count(*)::int AS n FROM listing_reports WHERE listing_id = $1`, other)).toEqual([{ n: 1 }]));
    expect(await itemOfListing(other)).toBeUndefined();
  });

  test('the queue is oldest first and pages with its cursor', async () => {
    const [older, newer] = [randomUUID(), randomUUID()];
    await h.bus.publish([reported(newer, 'SPAM', new Date('2001-01-02T00:00:00Z')), reported(older, 'SPAM', new Date('2001-01-01T00:00:00Z'))]);
    await eventually(async () => expect(await itemOfListing(newer)).toBeDefined());
    await eventually(async () => expect(await itemOfListing(older)).toBeDefined());
    const first = await h.call<{ moderationQueue: Queue }>(operator, QUEUE, { first: 1 });
    expect(first.data!.moderationQueue.edges.map((e) => e.node.listing?.id)).toEqual([older]);
    expect(first.data!.moderationQueue.pageInfo.hasNextPage).toBe(true);
    const second = await h.call<{ moderationQueue: Queue }>(operator, QUEUE, { first: 1, after: first.data!.moderationQueue.pageInfo.endCursor });
    expect(second.data!.moderationQueue.edges.map((e) => e.node.listing?.id)).toEqual([newer]);
    expect(second.data!.moderationQueue.totalCount).toBe(first.data!.moderationQueue.totalCount);
    expect(codes(await h.call(operator, QUEUE, { after: 'bogus' }))).toEqual(['BAD_USER_INPUT']);
  });
});
