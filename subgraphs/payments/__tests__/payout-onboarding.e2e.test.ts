import { randomUUID } from 'node:crypto';
import { codes } from '../../../lib/client/graphql-client';
import { eventually } from '../../../lib/testing/eventually';
import { unbalancedTransactions } from '../ledger';
import { buyerViewer, payoutAccountOf, sellerViewer, START_ONBOARDING, startPayments, type PaymentsHarness } from './harness';

/**
 * Payout onboarding with the test provider (the embedded default): the link is a page of the
 * marketplace that completes onboarding when opened. Here the subgraph serves it itself; through the
 * router it is the same page at the router's address (router/__tests__/payouts.e2e.test.ts).
 */

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPayments();
});

afterAll(() => h?.stop());

afterEach(async () => {
  expect(await h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
});

const URLS = { returnUrl: 'https://shop.example/payouts/done', refreshUrl: 'https://shop.example/payouts/again' };

interface Link {
  url: string;
  expiresAt: string;
}

async function start(sellerId: string, urls: Record<string, string> = URLS): Promise<Link> {
  return (await h.ok<{ startPayoutOnboarding: Link }>(sellerViewer(sellerId), START_ONBOARDING, urls)).startPayoutOnboarding;
}

const open = (url: string) => fetch(url, { redirect: 'manual' });
const accountRow = async (sellerId: string) =>
  (await h.query<{ provider: string; account_ref: string; status: string }>(`SELECT provider, account_ref, status FROM seller_accounts WHERE seller_id = $1`, [sellerId]))[0];

describe('startPayoutOnboarding with the test provider', () => {
  test('NOT_STARTED until the link is opened; opening it enables payouts and sends the seller to returnUrl', async () => {
    const sellerId = randomUUID();
    const seller = sellerViewer(sellerId);
    expect(await payoutAccountOf(h, seller, sellerId)).toEqual({ status: 'NOT_STARTED', payoutsEnabled: false, requirements: [] });

    const before = Date.now();
    const link = await start(sellerId);
    // a page of the marketplace's public address (here the subgraph's own, as no router stands in front)
    expect(new URL(link.url).origin).toBe(new URL(h.subgraph.url).origin);
    expect(new URL(link.url).pathname).toBe('/payouts/onboarding');
    expect(Date.parse(link.expiresAt)).toBeGreaterThan(before);
    expect(Date.parse(link.expiresAt)).toBeLessThanOrEqual(before + 10 * 60_000);
    // the account exists, not yet onboarded
    expect(await accountRow(sellerId)).toMatchObject({ provider: 'test', account_ref: expect.stringMatching(/^acct_/), status: 'NOT_STARTED' });
    expect(await payoutAccountOf(h, seller, sellerId)).toMatchObject({ status: 'NOT_STARTED' });

    const opened = await open(link.url);
    expect(opened.status).toBe(302);
    expect(opened.headers.get('location')).toBe(URLS.returnUrl);
    expect(await payoutAccountOf(h, seller, sellerId)).toEqual({ status: 'ENABLED', payoutsEnabled: true, requirements: [] });
  });

  test('a link works once: opened again it sends the seller to refreshUrl; a new call reuses the account with a fresh link', async () => {
    const sellerId = randomUUID();
    const first = await start(sellerId);
    const account = await accountRow(sellerId);
    const second = await start(sellerId);
    expect(second.url).not.toBe(first.url);
    expect(await accountRow(sellerId)).toEqual(account);
    expect(await h.count(`SELECT count(*) AS n FROM seller_accounts WHERE seller_id = $1`, [sellerId])).toBe(1);

    expect((await open(first.url)).headers.get('location')).toBe(URLS.returnUrl);
    const again = await open(first.url);
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toBe(URLS.refreshUrl);
    // still enabled, by the first opening
    expect((await accountRow(sellerId)).status).toBe('ENABLED');
  });

  test('an expired link sends the seller to refreshUrl and enables nothing; an unknown one is not found', async () => {
    const sellerId = randomUUID();
    const link = await start(sellerId);
    await h.query(`UPDATE payout_onboarding_links SET expires_at = now() - interval '1 second' WHERE seller_id = $1`, [sellerId]);
    const opened = await open(link.url);
    expect(opened.status).toBe(302);
    expect(opened.headers.get('location')).toBe(URLS.refreshUrl);
    expect((await accountRow(sellerId)).status).toBe('NOT_STARTED');

    const unknown = new URL(link.url);
    unknown.searchParams.set('token', 'not-a-token');
    expect((await open(unknown.toString())).status).toBe(404);
    expect((await fetch(link.url, { method: 'POST' })).status).toBe(405);
  });

  test('bad URLs are refused with the field named, and nothing is made', async () => {
    const sellerId = randomUUID();
    const cases: [Record<string, string>, string][] = [
      [{ ...URLS, returnUrl: '/payouts/done' }, 'returnUrl'],
      [{ ...URLS, returnUrl: 'http://shop.example/payouts' }, 'returnUrl'],
      [{ ...URLS, refreshUrl: 'javascript:alert(1)' }, 'refreshUrl'],
      [{ ...URLS, refreshUrl: `https://shop.example/${'x'.repeat(2000)}` }, 'refreshUrl'],
      [{ ...URLS, returnUrl: 'https://user:secret@shop.example/' }, 'returnUrl'],
    ];
    for (const [urls, field] of cases) {
      const result = await h.call(sellerViewer(sellerId), START_ONBOARDING, urls);
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0].extensions?.field).toBe(field);
    }
    expect(await h.count(`SELECT count(*) AS n FROM seller_accounts WHERE seller_id = $1`, [sellerId])).toBe(0);
    // a developer's own machine may use plain http
    await expect(start(sellerId, { returnUrl: 'http://localhost:3000/done', refreshUrl: 'http://127.0.0.1:3000/again' })).resolves.toMatchObject({
      url: expect.any(String),
    });
  });

  test('only the seller themself: others get null, buyers and anonymous callers are refused', async () => {
    const sellerId = randomUUID();
    await h.onboard(sellerId);
    expect(await payoutAccountOf(h, sellerViewer(randomUUID()), sellerId)).toBeNull();
    expect(await payoutAccountOf(h, buyerViewer(randomUUID()), sellerId)).toBeNull();
    expect(await payoutAccountOf(h, null, sellerId)).toBeNull();
    expect(codes(await h.call(buyerViewer(randomUUID()), START_ONBOARDING, URLS))).toEqual(['FORBIDDEN']);
    expect(codes(await h.call(null, START_ONBOARDING, URLS))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('money released before payouts are enabled', () => {
  test('waits in available with no transfer, and is transferred when the seller completes onboarding', async () => {
    const sellerId = randomUUID();
    const { purchase, order } = await h.paidOrder(3000, sellerId);
    await h.orderStatus(purchase, order, 'DELIVERED');
    const row = () =>
      h.query<{ status: string; transfer_ref: string | null; released_net: number }>(
        `SELECT status, transfer_ref, released_net FROM payment_orders WHERE order_id = $1`,
        [order.orderId],
      );
    await eventually(async () => expect(await row()).toEqual([{ status: 'AVAILABLE', transfer_ref: null, released_net: 2700 }]));

    await h.onboard(sellerId);
    // enabling pays what waited at once, not at the next sweep
    await eventually(async () => expect((await row())[0].transfer_ref).toMatch(/^tr_/));
  });
});
