import { codes } from '../../lib/client/graphql-client';
import { OPERATOR, grantRole } from '../../subgraphs/accounts/roles';
import { unbalancedTransactions } from '../../subgraphs/payments/ledger';
import { eventually } from '../../lib/testing/eventually';
import { checkOut, newListing, newOperator, newSeller, payByTestCard, signUp, TEST_PASSWORD, type TestUser } from '../../lib/testing/marketplace';
import { STACK_MODES, startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Contract step 12 through the router, as a seller's client walks it: payout onboarding with the
 * test provider (its page on the router's own address), then transfers in SellerMoney; a seller who
 * onboards late is paid what waited; then commission rules as operators set them and every order
 * shows them; then reconciliation (step 17). On PostgreSQL (with Redis) when the environment has it,
 * and on the embedded default always.
 */


describe.each(STACK_MODES)('on %s', (mode) => {
  let stack: TestStack;
  let seller1: TestUser;
  let seller2: TestUser;
  let buyer: TestUser;

  beforeAll(async () => {
    stack = await startTestStack({ embedded: mode === 'embedded' });
    [seller1, seller2, buyer] = await Promise.all([newSeller(stack.client), newSeller(stack.client), signUp(stack.client)]);
  });
  afterAll(() => stack?.stop());

  afterEach(async () => {
    expect(await stack.subgraphs.payments.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  });

  const RETURN = { returnUrl: 'http://localhost:3000/payouts/done', refreshUrl: 'http://localhost:3000/payouts/again' };

  interface Money {
    amount: number;
    currency: string;
  }
  interface SellerMoney {
    balance: { pending: Money; available: Money; paidOut: Money };
    payoutSchedule: string;
    transfers: { totalCount: number; edges: { node: { id: string; amount: Money; status: string; orders: { id: string }[] } }[] };
  }

  const moneyOf = async (seller: TestUser) => (await seller.client.ok<{ me: { seller: SellerMoney } }>('SellerMoney', {})).me.seller;
  const payoutAccountOf = async (seller: TestUser) =>
    (await seller.client.ok<{ me: { seller: { payoutAccount: { status: string; payoutsEnabled: boolean; requirements: string[] } } } }>('PayoutAccount', {})).me.seller
      .payoutAccount;

  /** Onboarding as the seller's browser does it: ask for the link, open it, land on the return URL. */
  async function onboard(seller: TestUser): Promise<void> {
    const { startPayoutOnboarding: link } = await seller.client.ok<{ startPayoutOnboarding: { url: string; expiresAt: string } }>('StartPayoutOnboarding', RETURN);
    // the marketplace's own public address: the router's
    expect(new URL(link.url).origin).toBe(new URL(stack.routerUrl).origin);
    const opened = await fetch(link.url, { redirect: 'manual' });
    expect(opened.status).toBe(302);
    expect(opened.headers.get('location')).toBe(RETURN.returnUrl);
  }

  /** The seller accepts and ships; the buyer confirms delivery; escrow releases: COMPLETED. */
  async function deliver(seller: TestUser, orderId: string): Promise<void> {
    await seller.client.ok('AcceptOrder', { id: orderId });
    await seller.client.ok('ShipOrder', { id: orderId, trackingNumber: '1Z999' });
    await buyer.client.ok('ConfirmDelivery', { id: orderId });
    await eventually(async () => expect((await buyer.client.ok<{ order: { status: string } }>('Order', { id: orderId })).order.status).toBe('COMPLETED'));
  }

  test('step 12: onboarding, a transfer of the order’s net, and a late seller paid what waited', async () => {
    expect(await payoutAccountOf(seller1)).toEqual({ status: 'NOT_STARTED', payoutsEnabled: false, requirements: [] });
    await onboard(seller1);
    expect(await payoutAccountOf(seller1)).toEqual({ status: 'ENABLED', payoutsEnabled: true, requirements: [] });
    expect(await payoutAccountOf(seller2)).toMatchObject({ status: 'NOT_STARTED' });

    const [listing1, listing2] = await Promise.all([
      newListing(seller1.client, { title: 'Payout lamp', price: { amount: 5000, currency: 'USD' }, stock: 3 }),
      newListing(seller2.client, { title: 'Payout vase', price: { amount: 2000, currency: 'USD' }, stock: 3 }),
    ]);
    const purchase = await checkOut(buyer, [listing1, listing2]);
    await payByTestCard(buyer, purchase.paymentId);
    for (const { id } of purchase.orders) {
      await eventually(async () => expect((await buyer.client.ok<{ order: { status: string } }>('Order', { id })).order.status).toBe('PAID'));
    }
    const orderOf = (seller: TestUser) => purchase.orders.find((o) => o.seller.id === seller.sellerId)!.id;
    const netOf = async (seller: TestUser) =>
      (await seller.client.ok<{ order: { payout: { net: Money } } }>('Order', { id: orderOf(seller) })).order.payout.net.amount;

    await deliver(seller1, orderOf(seller1));
    const net1 = await netOf(seller1);
    expect(net1).toBeGreaterThan(0);
    // paid out as soon as the transfer is made; PAID once the provider confirms it
    await eventually(async () => expect((await moneyOf(seller1)).transfers.edges.map((e) => e.node.status)).toEqual(['PAID']));
    const money1 = await moneyOf(seller1);
    expect(money1.balance).toMatchObject({ available: { amount: 0 }, paidOut: { amount: net1 } });
    expect(money1.payoutSchedule).toBe('PER_ORDER');
    expect(money1.transfers.totalCount).toBe(1);
    expect(money1.transfers.edges[0].node).toMatchObject({ amount: { amount: net1, currency: 'USD' }, status: 'PAID', orders: [{ id: orderOf(seller1) }] });

    // seller 2 has not onboarded: released money waits in available
    await deliver(seller2, orderOf(seller2));
    const net2 = await netOf(seller2);
    expect((await moneyOf(seller2)).balance).toMatchObject({ available: { amount: net2 }, paidOut: { amount: 0 } });
    expect((await moneyOf(seller2)).transfers.totalCount).toBe(0);

    await onboard(seller2);
    await eventually(async () => expect((await moneyOf(seller2)).transfers.edges.map((e) => e.node.status)).toEqual(['PAID']));
    expect((await moneyOf(seller2)).balance).toMatchObject({ available: { amount: 0 }, paidOut: { amount: net2 } });
  });

  test('the onboarding page through the router: GET only, an unknown link is not found', async () => {
    const page = new URL('/payouts/onboarding?token=unknown', stack.routerUrl).toString();
    expect((await fetch(page, { redirect: 'manual' })).status).toBe(404);
    expect((await fetch(page, { method: 'POST' })).status).toBe(405);
  });

  test('commission: operators set rules by category, every order shows its fee from creation, sellers see their tier', async () => {
    const ops = (await newOperator(stack.client, (email) => grantRole(stack.subgraphs.accounts.db, email, OPERATOR))).client;
    const input = {
      defaultRateBps: 900,
      categories: [{ category: 'electronics', rateBps: 500 }],
      tiers: [
        { currency: 'USD', fromAmount: 0, rateBps: 1100 },
        { currency: 'USD', fromAmount: 1_000_000, rateBps: 700 },
      ],
    };
    // everyone else is refused, and nothing changes: an operator without two-factor too
    const roleOnly = await signUp(stack.client);
    await grantRole(stack.subgraphs.accounts.db, roleOnly.email, OPERATOR);
    const { logIn } = await stack.client.ok<{ logIn: { token: string } }>('LogIn', { input: { email: roleOnly.email, password: TEST_PASSWORD } });
    for (const client of [stack.client, buyer.client, seller1.client, stack.client.as(logIn.token)]) {
      const refused = await client.op('SetCommissionRules', { input: { defaultRateBps: 0 } });
      expect(codes(refused)).toEqual([client === stack.client ? 'UNAUTHENTICATED' : 'FORBIDDEN']);
    }
    const twoFactorMissing = await stack.client.as(logIn.token).op('SetCommissionRules', { input: { defaultRateBps: 0 } });
    expect(twoFactorMissing.errors?.[0].message).toMatch(/two-factor/);
    const unknown = await ops.op('SetCommissionRules', { input: { ...input, categories: [{ category: 'no-such-category', rateBps: 100 }] } });
    expect(codes(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(unknown.errors?.[0].extensions?.field).toBe('input.categories.category');

    const { setCommissionRules } = await ops.ok<{ setCommissionRules: { defaultRateBps: number } }>('SetCommissionRules', { input });
    expect(setCommissionRules.defaultRateBps).toBe(900);
    // public, with the category's name from listings
    const { commissionRules } = await stack.client.ok<{ commissionRules: { categories: { category: { slug: string; name: string }; rateBps: number }[] } }>(
      'CommissionRules',
      {},
    );
    expect(commissionRules.categories).toEqual([{ category: { slug: 'electronics', name: expect.any(String) }, rateBps: 500 }]);
    expect(commissionRules.categories[0].category.name).not.toBe('');

    // seller 1 sold less than the first tier's end: 11 % outside electronics
    const { me } = await seller1.client.ok<{ me: { seller: { commission: { rateBps: number; salesLast30Days: Money } } } }>('MyCommission', {});
    expect(me.seller.commission.rateBps).toBe(1100);
    const lamp = await newListing(seller1.client, { title: 'Commission lamp', price: { amount: 10_000, currency: 'USD' }, category: 'home-garden', stock: 2 });
    const radio = await newListing(seller1.client, { title: 'Commission radio', price: { amount: 10_000, currency: 'USD' }, category: 'electronics', stock: 2 });
    const purchase = await checkOut(buyer, [lamp]);
    const second = await checkOut(buyer, [radio]);
    // known before anything is paid, to the buyer as to the seller
    const fees = async (client: TestUser['client'], id: string) =>
      (await client.ok<{ order: { status: string; payout: { platformFee: Money; net: Money; rateBps: number; status: string } } }>('OrderFees', { id })).order;
    for (const client of [buyer.client, seller1.client]) {
      expect(await fees(client, purchase.orders[0].id)).toMatchObject({ status: 'PENDING_PAYMENT', payout: { rateBps: 1100, platformFee: { amount: 1100 } } });
      expect(await fees(client, second.orders[0].id)).toMatchObject({ payout: { rateBps: 500, platformFee: { amount: 500 } } });
    }
    expect(codes(await seller2.client.op('OrderFees', { id: purchase.orders[0].id }))).toEqual(['FORBIDDEN']);
  });

  test('step 17: reconciliation after all of the above finds nothing; a charge the platform never recorded is MISSING_HERE', async () => {
    const ops = (await newOperator(stack.client, (email) => grantRole(stack.subgraphs.accounts.db, email, OPERATOR))).client;
    type Run = { status: string; checked: number; discrepancies: { kind: string; reference: string }[] };
    const runCount = async () =>
      Number((await stack.subgraphs.payments.db.transaction((m) => m.query(`SELECT count(*) AS n FROM reconciliation_runs`)) as { n: string }[])[0].n);
    // everyone else is refused, and nothing runs: an operator without two-factor too
    const roleOnly = await signUp(stack.client);
    await grantRole(stack.subgraphs.accounts.db, roleOnly.email, OPERATOR);
    const { logIn } = await stack.client.ok<{ logIn: { token: string } }>('LogIn', { input: { email: roleOnly.email, password: TEST_PASSWORD } });
    const halfOperator = stack.client.as(logIn.token);
    const runsBefore = await runCount();
    for (const [operation, variables] of [
      ['RunReconciliation', {}],
      ['ReconciliationRuns', { first: 2 }],
    ] as const) {
      for (const client of [stack.client, buyer.client, seller1.client, halfOperator]) {
        const refused = await client.op(operation, variables);
        expect({ operation, codes: codes(refused) }).toEqual({ operation, codes: [client === stack.client ? 'UNAUTHENTICATED' : 'FORBIDDEN'] });
        expect(refused.data?.[operation === 'RunReconciliation' ? 'runReconciliation' : 'reconciliationRuns'] ?? null).toBeNull();
        if (client === halfOperator) expect(refused.errors?.[0].message).toMatch(/two-factor/);
      }
    }
    expect(await runCount()).toBe(runsBefore);
    const clean = (await ops.ok<{ runReconciliation: Run }>('RunReconciliation', {})).runReconciliation;
    expect(clean).toMatchObject({ status: 'SUCCEEDED', discrepancies: [] });
    expect(clean.checked).toBeGreaterThan(0);

    // the test provider keeps its own records: one of a charge the platform never heard of
    await stack.subgraphs.payments.db.transaction((m) =>
      m.query(
        `INSERT INTO test_provider_records (reference, kind, our_id, amount, currency, state) VALUES ('pi_never_recorded', 'payment', NULL, 2500, 'USD', 'succeeded')`,
      ),
    );
    const found = (await ops.ok<{ runReconciliation: Run }>('RunReconciliation', {})).runReconciliation;
    expect(found.discrepancies).toEqual([expect.objectContaining({ kind: 'MISSING_HERE', reference: 'pi_never_recorded' })]);
    const { reconciliationRuns } = await ops.ok<{ reconciliationRuns: { edges: { node: Run }[] } }>('ReconciliationRuns', { first: 2 });
    expect(reconciliationRuns.edges.map((e) => e.node.discrepancies.length)).toEqual([1, 0]);
  });
});
