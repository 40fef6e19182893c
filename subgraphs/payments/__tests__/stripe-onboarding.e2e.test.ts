import { randomUUID } from 'node:crypto';
import { codes } from '../../../lib/client/graphql-client';
import { eventually } from '../../../lib/testing/eventually';
import { unbalancedTransactions } from '../ledger';
import { payoutAccountOf, sellerViewer, START_ONBOARDING } from './harness';
import { startStripePayments, stripeEvent, type StripeHarness } from './stripe-harness';

/**
 * Payout onboarding with Stripe Connect Express, against the fake Stripe: one connected account per
 * seller, account links, and account.updated webhooks (signed, duplicated, out of order) moving the
 * seller's status; transfers wait for ENABLED.
 */

let stripe: StripeHarness;

beforeAll(async () => {
  stripe = await startStripePayments();
});

afterAll(() => stripe?.stop());

afterEach(async () => {
  expect(await stripe.h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
});

const URLS = { returnUrl: 'https://shop.example/payouts/done', refreshUrl: 'https://shop.example/payouts/again' };

async function start(sellerId: string): Promise<{ url: string; expiresAt: string }> {
  return (await stripe.h.ok<{ startPayoutOnboarding: { url: string; expiresAt: string } }>(sellerViewer(sellerId), START_ONBOARDING, URLS))
    .startPayoutOnboarding;
}

const accountsMadeFor = (sellerId: string) => stripe.fake.ofType('account', (a) => (a.metadata as Record<string, string>).seller_id === sellerId);
const accountRequestsFor = (sellerId: string) =>
  stripe.fake.requestsTo('POST', '/v1/accounts').filter((r) => r.form['metadata[seller_id]'] === sellerId);

/** Stripe tells the platform that a connected account changed, at `created` (seconds). */
async function accountUpdated(account: Record<string, unknown>, created = Math.floor(Date.now() / 1000), id?: string) {
  const payload = stripeEvent('account.updated', account, { created, account: account.id as string, ...(id ? { id } : {}) });
  return stripe.deliver(payload);
}

/** A seller whose Stripe account exists (onboarding started), and its id there. */
async function startedSeller(): Promise<{ sellerId: string; accountId: string }> {
  const sellerId = randomUUID();
  await start(sellerId);
  return { sellerId, accountId: accountsMadeFor(sellerId)[0].id };
}

describe('startPayoutOnboarding with Stripe', () => {
  test('makes one Express account for the seller, once, and a fresh account link on every call', async () => {
    const sellerId = randomUUID();
    const first = await start(sellerId);
    expect(accountRequestsFor(sellerId)).toEqual([
      expect.objectContaining({
        idempotencyKey: `payout-account:${sellerId}`,
        form: expect.objectContaining({ type: 'express', 'capabilities[transfers][requested]': 'true' }),
      }),
    ]);
    const [account] = accountsMadeFor(sellerId);
    const links = () => stripe.fake.requestsTo('POST', '/v1/account_links').filter((r) => r.form.account === account.id);
    expect(links()).toEqual([
      expect.objectContaining({ form: { account: account.id, type: 'account_onboarding', return_url: URLS.returnUrl, refresh_url: URLS.refreshUrl } }),
    ]);
    expect(first.url).toMatch(new RegExp(`^https://connect\\.stripe\\.com/setup/e/${account.id}/`));
    expect(Date.parse(first.expiresAt)).toBeGreaterThan(Date.now());
    expect(await payoutAccountOf(stripe.h, sellerViewer(sellerId), sellerId)).toEqual({
      status: 'NOT_STARTED',
      payoutsEnabled: false,
      requirements: ['business_type', 'external_account', 'tos_acceptance.date', 'tos_acceptance.ip'],
    });

    const second = await start(sellerId);
    expect(second.url).not.toBe(first.url);
    expect(accountRequestsFor(sellerId)).toHaveLength(1);
    expect(links()).toHaveLength(2);
  });

  test('two first calls at once make one account', async () => {
    const sellerId = randomUUID();
    await Promise.all([start(sellerId), start(sellerId), start(sellerId)]);
    expect(accountsMadeFor(sellerId)).toHaveLength(1);
    expect(await stripe.h.count(`SELECT count(*) AS n FROM seller_accounts WHERE seller_id = $1`, [sellerId])).toBe(1);
  });

  test('Stripe refusing is SERVICE_UNAVAILABLE and keeps nothing; the next call succeeds', async () => {
    const sellerId = randomUUID();
    stripe.fake.failNext('POST', /^\/v1\/accounts$/, 400, 'platform_account_required', 'Only Stripe Connect platforms can work with other accounts.');
    const result = await stripe.h.call(sellerViewer(sellerId), START_ONBOARDING, URLS);
    expect(codes(result)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await stripe.h.count(`SELECT count(*) AS n FROM seller_accounts WHERE seller_id = $1`, [sellerId])).toBe(0);
  });
});

describe('account.updated', () => {
  test('moves the status as Stripe reports the seller’s progress: RESTRICTED with requirements, PENDING, ENABLED', async () => {
    const { sellerId, accountId } = await startedSeller();
    const seller = sellerViewer(sellerId);
    const now = Math.floor(Date.now() / 1000);

    const restricted = stripe.fake.updateAccount(accountId, {
      details_submitted: true,
      requirements: { currently_due: ['external_account'], past_due: ['individual.verification.document'], eventually_due: [], disabled_reason: 'requirements.past_due' },
    });
    expect((await accountUpdated(restricted, now)).status).toBe(200);
    expect(await payoutAccountOf(stripe.h, seller, sellerId)).toEqual({
      status: 'RESTRICTED',
      payoutsEnabled: false,
      requirements: ['external_account', 'individual.verification.document'],
    });

    const pending = stripe.fake.updateAccount(accountId, { requirements: { currently_due: [], past_due: [], eventually_due: [], disabled_reason: null } });
    expect((await accountUpdated(pending, now + 1)).status).toBe(200);
    expect(await payoutAccountOf(stripe.h, seller, sellerId)).toEqual({ status: 'PENDING', payoutsEnabled: false, requirements: [] });

    const enabled = stripe.fake.updateAccount(accountId, { payouts_enabled: true, charges_enabled: true, capabilities: { transfers: 'active' } });
    const id = `evt_enabled_${sellerId.slice(0, 8)}`;
    expect((await accountUpdated(enabled, now + 2, id)).status).toBe(200);
    expect(await payoutAccountOf(stripe.h, seller, sellerId)).toEqual({ status: 'ENABLED', payoutsEnabled: true, requirements: [] });

    // the same event again: acknowledged as a duplicate
    expect((await accountUpdated(enabled, now + 2, id)).body).toEqual({ received: true, duplicate: true });
  });

  test('an older event arriving late changes nothing: Stripe does not deliver in order', async () => {
    const { sellerId, accountId } = await startedSeller();
    const now = Math.floor(Date.now() / 1000);
    const before = stripe.fake.updateAccount(accountId, { details_submitted: true });
    const enabled = stripe.fake.updateAccount(accountId, {
      payouts_enabled: true,
      requirements: { currently_due: [], past_due: [], eventually_due: [], disabled_reason: null },
    });
    expect((await accountUpdated(enabled, now)).status).toBe(200);
    expect((await accountUpdated(before, now - 60)).status).toBe(200);
    expect(await payoutAccountOf(stripe.h, sellerViewer(sellerId), sellerId)).toMatchObject({ status: 'ENABLED', payoutsEnabled: true });
  });

  test('an account that no seller has is acknowledged and changes nothing', async () => {
    const before = await stripe.h.query(`SELECT seller_id, status, updated_at FROM seller_accounts ORDER BY seller_id`);
    const stranger = { id: 'acct_stranger', object: 'account', details_submitted: true, payouts_enabled: true, requirements: { currently_due: [], past_due: [] } };
    expect((await accountUpdated(stranger)).status).toBe(200);
    expect(await stripe.h.query(`SELECT seller_id, status, updated_at FROM seller_accounts ORDER BY seller_id`)).toEqual(before);
  });
});

describe('transfers wait for ENABLED', () => {
  test('money released while onboarding is unfinished stays in available; account.updated enabling payouts sends it', async () => {
    const { sellerId, accountId } = await startedSeller();
    const { purchase, order } = await stripe.h.paidOrder(4000, sellerId);
    await stripe.h.orderStatus(purchase, order, 'DELIVERED');
    const transfers = () => stripe.fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId);
    const row = async () => (await stripe.h.query<{ status: string; transfer_ref: string | null }>(`SELECT status, transfer_ref FROM payment_orders WHERE order_id = $1`, [order.orderId]))[0];
    await eventually(async () => expect(await row()).toEqual({ status: 'AVAILABLE', transfer_ref: null }));

    // details sent but Stripe still verifying: no transfer
    const now = Math.floor(Date.now() / 1000);
    await accountUpdated(stripe.fake.updateAccount(accountId, { details_submitted: true, requirements: { currently_due: [], past_due: [] } }), now);
    expect(transfers()).toHaveLength(0);

    await accountUpdated(stripe.fake.updateAccount(accountId, { payouts_enabled: true }), now + 1);
    await eventually(async () => expect(transfers()).toHaveLength(1));
    expect(transfers()[0]).toMatchObject({ amount: 3600, destination: accountId });
    await eventually(async () => expect((await row()).transfer_ref).toBe(transfers()[0].id));
  });
});
