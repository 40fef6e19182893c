import { randomUUID } from 'node:crypto';
import { codes, type GraphQLClient, type GraphQLResponse } from '../../lib/client/graphql-client';
import { accessWalk } from '../../lib/testing/access-walk';
import { eventually } from '../../lib/testing/eventually';
import { follow, routerSocket } from '../../lib/testing/live';
import { newListing, newSeller, signUp, TEST_PASSWORD, type TestUser } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Every order, payment, payout, reputation and delivery operation, tried by anonymous, by another buyer, by another
 * seller, by the wrong party of the order and by the right one: each gets data or the contract's code.
 * Refused attempts come first, so the right party's call also proves the refusals changed nothing. The public
 * account-security mutations, which anybody may call, answer input that is not the caller's with a client error.
 */
type Actor = 'anonymous' | 'otherBuyer' | 'otherSeller' | 'buyer' | 'seller';

let stack: TestStack;
let actors: Record<Actor, GraphQLClient>;
let seller: TestUser;
let buyer: TestUser;
let orderId: string;
let secondOrderId: string;
let paymentId: string;
let listing: string;

beforeAll(async () => {
  stack = await startTestStack();
  seller = await newSeller(stack.client);
  buyer = await signUp(stack.client);
  const [otherBuyer, otherSeller] = await Promise.all([signUp(stack.client), newSeller(stack.client)]);
  actors = { anonymous: stack.client, otherBuyer: otherBuyer.client, otherSeller: otherSeller.client, buyer: buyer.client, seller: seller.client };
  listing = await newListing(seller.client, { title: 'Guarded teapot', stock: 10 });
  const first = await buyer.client.ok<{ checkout: { orders: { id: string }[]; payment: { id: string } } }>('Checkout', {
    input: { items: [{ listingId: listing, quantity: 1 }], idempotencyKey: randomUUID() },
  });
  orderId = first.checkout.orders[0].id;
  paymentId = first.checkout.payment.id;
  const second = await buyer.client.ok<{ checkout: { orders: { id: string }[] } }>('Checkout', {
    input: { items: [{ listingId: listing, quantity: 1 }], idempotencyKey: randomUUID() },
  });
  secondOrderId = second.checkout.orders[0].id;
});
afterAll(() => stack?.stop());

const step = accessWalk<Actor>(() => actors);

const orderStatus = async (id: string) =>
  (await buyer.client.ok<{ order: { status: string } }>('Order', { id })).order.status;

test('who may do what with an order, its payment, its payout and its review', async () => {
  await step('Order', () => ({ id: orderId }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'FORBIDDEN',
    otherSeller: 'FORBIDDEN',
    buyer: 'ok',
    seller: 'ok',
  });
  await step('MyOrders', () => ({}), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: (r) => expect(r.data).toEqual({ myOrders: expect.objectContaining({ totalCount: 0 }) }),
    buyer: (r) => expect((r.data as { myOrders: { totalCount: number } }).myOrders.totalCount).toBe(2),
  });
  await step('SellerOrders', () => ({}), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'FORBIDDEN',
    otherSeller: (r) => expect(r.data).toEqual({ sellerOrders: expect.objectContaining({ totalCount: 0 }) }),
    seller: (r) => expect((r.data as { sellerOrders: { totalCount: number } }).sellerOrders.totalCount).toBe(2),
  });
  await step('ConfirmTestPayment', () => ({ paymentId, card: '4242424242424242' }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'FORBIDDEN',
    otherSeller: 'FORBIDDEN',
    seller: 'FORBIDDEN',
    buyer: 'ok',
  });
  await eventually(async () => expect(await orderStatus(orderId)).toBe('PAID'));
  for (const operation of ['AcceptOrder', 'ShipOrder']) {
    await step(operation, () => ({ id: orderId }), {
      anonymous: 'UNAUTHENTICATED',
      otherBuyer: 'FORBIDDEN',
      otherSeller: 'FORBIDDEN',
      buyer: 'FORBIDDEN',
      seller: 'ok',
    });
  }
  await step('CreateReview', () => ({ input: { orderId, rating: 4, body: 'Early' } }), { buyer: 'CONFLICT' });
  await step('ConfirmDelivery', () => ({ id: orderId }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'FORBIDDEN',
    otherSeller: 'FORBIDDEN',
    seller: 'FORBIDDEN',
    buyer: 'ok',
  });
  await eventually(async () => expect(await orderStatus(orderId)).toBe('COMPLETED'));
  await step('CreateReview', () => ({ input: { orderId, rating: 4, body: 'Fine teapot' } }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'FORBIDDEN',
    otherSeller: 'FORBIDDEN',
    seller: 'FORBIDDEN',
    buyer: 'ok',
  });
  await step('RefundOrder', () => ({ orderId, amount: 100, reason: 'Chipped lid' }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'FORBIDDEN',
    otherSeller: 'FORBIDDEN',
    buyer: 'FORBIDDEN',
    seller: 'ok',
  });
  await step('SellerBalance', () => ({}), {
    anonymous: (r) => expect(r.data).toEqual({ me: null }),
    otherBuyer: (r) => expect(r.data).toEqual({ me: { seller: null } }),
    otherSeller: (r) => expect(r.data).toEqual({ me: { seller: { balance: { pending: expect.objectContaining({ amount: 0 }), available: expect.objectContaining({ amount: 0 }) } } } }),
    seller: (r) => expect((r.data as { me: { seller: { balance: { available: { amount: number } } } } }).me.seller.balance.available.amount).toBeGreaterThan(0),
  });
  await step('SellerReputation', () => ({ sellerId: seller.sellerId }), {
    anonymous: (r) => expect((r.data as { seller: { reputation: { reviewCount: number } } }).seller.reputation.reviewCount).toBe(1),
    otherBuyer: 'ok',
  });
  await step('CancelOrder', () => ({ id: secondOrderId }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'FORBIDDEN',
    otherSeller: 'FORBIDDEN',
    buyer: 'ok',
  });
  await step('CancelOrder', () => ({ id: secondOrderId }), { seller: 'CONFLICT' });
});

test('who may keep an address book and set shipping rates', async () => {
  const home = { name: 'Ada Lovelace', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
  const { addAddress } = await buyer.client.ok<{ addAddress: { id: string } }>('AddAddress', { input: home });
  await step('AddAddress', () => ({ input: home }), { anonymous: 'UNAUTHENTICATED', otherBuyer: 'ok' });
  await step('MyAddresses', () => ({}), {
    anonymous: (r) => expect(r.data).toEqual({ me: null }),
    otherSeller: (r) => expect((r.data as { me: { addresses: { id: string }[] } }).me.addresses.map((a) => a.id)).not.toContain(addAddress.id),
    buyer: (r) => expect((r.data as { me: { addresses: { id: string }[] } }).me.addresses.map((a) => a.id)).toContain(addAddress.id),
  });
  await step('RemoveAddress', () => ({ id: addAddress.id }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'NOT_FOUND',
    otherSeller: 'NOT_FOUND',
    seller: 'NOT_FOUND',
    buyer: 'ok',
  });
  const rates = [{ country: 'US', price: { amount: 500, currency: 'USD' }, minDays: 1, maxDays: 3 }];
  await step('SetShippingRates', () => ({ rates }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'FORBIDDEN',
    buyer: 'FORBIDDEN',
    seller: 'ok',
  });
  await step('SellerShipping', () => ({ sellerId: seller.sellerId }), {
    anonymous: (r) => expect((r.data as { seller: { shippingRates: unknown[] } }).seller.shippingRates).toHaveLength(1),
    otherBuyer: 'ok',
  });
});

test('who may onboard for payouts, choose a schedule and see a seller’s money', async () => {
  const urls = { returnUrl: 'https://shop.example/done', refreshUrl: 'https://shop.example/again' };
  const noSeller = (r: GraphQLResponse) => expect(r.data).toEqual({ me: { seller: null } });
  await step('StartPayoutOnboarding', () => urls, { anonymous: 'UNAUTHENTICATED', otherBuyer: 'FORBIDDEN', buyer: 'FORBIDDEN', seller: 'ok' });
  await step('PayoutAccount', () => ({}), {
    anonymous: (r) => expect(r.data).toEqual({ me: null }),
    buyer: noSeller,
    otherSeller: (r) => expect(r.data).toEqual({ me: { seller: { payoutAccount: expect.objectContaining({ status: 'NOT_STARTED' }) } } }),
    seller: 'ok',
  });
  await step('SetPayoutSchedule', () => ({ schedule: 'WEEKLY' }), { anonymous: 'UNAUTHENTICATED', otherBuyer: 'FORBIDDEN', buyer: 'FORBIDDEN', seller: 'ok' });
  await step('SellerMoney', () => ({}), {
    anonymous: (r) => expect(r.data).toEqual({ me: null }),
    buyer: noSeller,
    // another seller sees their own money, never this one's schedule
    otherSeller: (r) => expect((r.data as { me: { seller: { payoutSchedule: string } } }).me.seller.payoutSchedule).toBe('PER_ORDER'),
    seller: (r) => expect((r.data as { me: { seller: { payoutSchedule: string } } }).me.seller.payoutSchedule).toBe('WEEKLY'),
  });
});

test('who may see fees and commission, and run the operators’ operations', async () => {
  await step('CommissionRules', () => ({}), { anonymous: 'ok', otherBuyer: 'ok', seller: 'ok' });
  await step('OrderFees', () => ({ id: orderId }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'FORBIDDEN',
    otherSeller: 'FORBIDDEN',
    buyer: (r) => expect((r.data as { order: { payout: { rateBps: number } } }).order.payout.rateBps).toBeGreaterThanOrEqual(0),
    seller: 'ok',
  });
  await step('MyCommission', () => ({}), {
    anonymous: (r) => expect(r.data).toEqual({ me: null }),
    buyer: (r) => expect(r.data).toEqual({ me: { seller: null } }),
    seller: (r) => expect((r.data as { me: { seller: { commission: { rateBps: number } } } }).me.seller.commission.rateBps).toBeGreaterThanOrEqual(0),
  });
  // operators only: everyone here is refused
  const refusedToAll = { anonymous: 'UNAUTHENTICATED', otherBuyer: 'FORBIDDEN', otherSeller: 'FORBIDDEN', buyer: 'FORBIDDEN', seller: 'FORBIDDEN' };
  await step('SetCommissionRules', () => ({ input: { defaultRateBps: 0 } }), refusedToAll);
  await step('RunReconciliation', () => ({}), refusedToAll);
  await step('ReconciliationRuns', () => ({}), refusedToAll);
});

test('who may do what with notifications, order messages and account security', async () => {
  await eventually(async () => expect(codes(await buyer.client.op('OrderMessages', { orderId }))).toEqual([]));
  await step('SendOrderMessage', () => ({ orderId, body: 'Is it wrapped?' }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'FORBIDDEN',
    otherSeller: 'FORBIDDEN',
    buyer: 'ok',
    seller: 'ok',
  });
  await step('OrderMessages', () => ({ orderId }), {
    otherBuyer: 'FORBIDDEN',
    otherSeller: 'FORBIDDEN',
    buyer: (response) => expect((response.data as { order: { messages: { totalCount: number } } }).order.messages.totalCount).toBe(2),
    seller: 'ok',
  });
  await step('MyNotifications', () => ({}), {
    anonymous: (response) => expect(response).toMatchObject({ data: { me: null } }),
    buyer: 'ok',
  });
  for (const operation of ['MarkNotificationsRead', 'EnableTwoFactor', 'ResendVerificationEmail']) {
    await step(operation, () => ({}), { anonymous: 'UNAUTHENTICATED' });
  }
  await step('SetNotificationPreference', () => ({ kind: 'NEW_MESSAGE', inApp: true, email: false }), { anonymous: 'UNAUTHENTICATED', buyer: 'ok' });
  type Preferences = { me: { notificationPreferences: { kind: string; inApp: boolean; email: boolean }[] } };
  const newMessage = (response: GraphQLResponse) => (response.data as Preferences).me.notificationPreferences.find((p) => p.kind === 'NEW_MESSAGE');
  await step('NotificationPreferences', () => ({}), {
    anonymous: (response) => expect(response).toMatchObject({ data: { me: null } }),
    // each viewer reads their own: the buyer's choice is not another's
    otherBuyer: (response) => expect(newMessage(response)).toMatchObject({ inApp: true, email: true }),
    buyer: (response) => expect(newMessage(response)).toMatchObject({ inApp: true, email: false }),
  });
  await step('ConfirmTwoFactor', () => ({ code: '123456' }), { anonymous: 'UNAUTHENTICATED', otherBuyer: 'CONFLICT' });
  await step('DisableTwoFactor', () => ({ code: '123456' }), { anonymous: 'UNAUTHENTICATED', otherBuyer: 'ok' });
  await step('ChangePassword', () => ({ currentPassword: 'not the password', newPassword: 'a new long password' }), {
    anonymous: 'UNAUTHENTICATED',
    otherBuyer: 'UNAUTHENTICATED',
  });
  await step('DeleteMyAccount', () => ({ password: 'not the password' }), { anonymous: 'UNAUTHENTICATED', otherBuyer: 'UNAUTHENTICATED' });

  // The public security mutations: anybody may call them, and what is not the caller's (an unknown or malformed
  // token, someone else's password, input too long) is a client error that changes nothing of the account.
  const accountState = () =>
    stack.subgraphs.accounts.db.transaction((m) =>
      m.query(
        `SELECT u.password_hash, u.email_verified_at, u.two_factor_enabled_at,
                (SELECT count(*)::int FROM sessions s WHERE s.user_id = u.id AND s.ended_at IS NULL) AS open_sessions,
                (SELECT count(*)::int FROM one_time_tokens t WHERE t.user_id = u.id) AS links
           FROM users u WHERE u.id = $1`,
        [buyer.userId],
      ),
    );
  const before = await accountState();
  const long = 'x'.repeat(300);
  const refused: [string, Record<string, unknown>, string][] = [
    ['RefreshSession', { refreshToken: 'not-a-refresh-token' }, 'UNAUTHENTICATED'],
    ['RefreshSession', { refreshToken: long }, 'BAD_USER_INPUT'],
    ['LogOut', { refreshToken: long }, 'BAD_USER_INPUT'],
    ['VerifyEmail', { token: 'not-a-link-token' }, 'BAD_USER_INPUT'],
    ['VerifyEmail', { token: long }, 'BAD_USER_INPUT'],
    ['RequestPasswordReset', { email: `${long}@example.com` }, 'BAD_USER_INPUT'],
    ['ResetPassword', { token: 'not-a-link-token', newPassword: 'a new long password' }, 'BAD_USER_INPUT'],
    ['ResetPassword', { token: 'not-a-link-token', newPassword: 'short' }, 'BAD_USER_INPUT'],
    ['ResetPassword', { token: long, newPassword: 'a new long password' }, 'BAD_USER_INPUT'],
    ['LogInWithCode', { input: { email: buyer.email, password: 'not the password' } }, 'UNAUTHENTICATED'],
    ['LogInWithCode', { input: { email: buyer.email, password: 'not the password', code: '123456' } }, 'UNAUTHENTICATED'],
    ['LogInWithCode', { input: { email: long, password: TEST_PASSWORD } }, 'BAD_USER_INPUT'],
  ];
  for (const [operation, variables, code] of refused) await step(operation, () => variables, { anonymous: code });
  // what the contract answers true so as never to tell: an unknown token logged out, an unknown address
  await step('LogOut', () => ({ refreshToken: 'not-a-refresh-token' }), {
    anonymous: (response) => expect([response.errors, response.data]).toEqual([undefined, { logOut: true }]),
  });
  await step('RequestPasswordReset', () => ({ email: 'nobody-here@example.com' }), {
    anonymous: (response) => expect([response.errors, response.data]).toEqual([undefined, { requestPasswordReset: true }]),
  });
  expect(await accountState()).toEqual(before);
  // and the buyer's own credentials still work: the password signs in, its refresh token refreshes
  const { logIn } = await stack.client.ok<{ logIn: { refreshToken: string } }>('LogInWithCode', { input: { email: buyer.email, password: TEST_PASSWORD } });
  await stack.client.ok('RefreshSession', { refreshToken: logIn.refreshToken });
  // the buyer has an order waiting for payment: their account stays
  await buyer.client.ok('Checkout', { input: { items: [{ listingId: listing, quantity: 1 }], idempotencyKey: randomUUID() } });
  await step('DeleteMyAccount', () => ({ password: 'a long enough password' }), { buyer: 'CONFLICT' });
  await step('ExportMyData', () => ({}), {
    anonymous: (response) => expect(response).toMatchObject({ data: { me: null } }),
    buyer: (response) => expect(JSON.parse((response.data as { me: { exportData: string } }).me.exportData).account.id).toBe(buyer.userId),
  });
});

test('who may follow notifications live: anonymous is refused, the recipient hears their own', async () => {
  const anonymousSocket = routerSocket(stack.routerUrl);
  const buyerSocket = routerSocket(stack.routerUrl, buyer.client.token);
  try {
    type Heard = { notificationReceived: { kind: string; order: { id: string } | null } };
    const anonymous = follow<Heard>(anonymousSocket, 'NotificationReceived');
    await eventually(async () => expect(anonymous.errors).toHaveLength(1));
    expect(anonymous.errors[0].code).toBe('UNAUTHENTICATED');
    const own = follow<Heard>(buyerSocket, 'NotificationReceived');
    await eventually(async () => expect(stack.router.activeSubscriptions()).toBeGreaterThanOrEqual(1));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the subscription is open at the subgraph too
    await seller.client.ok('SendOrderMessage', { orderId, body: 'It goes out tomorrow.' });
    await eventually(async () => expect(own.events.map((e) => [e.notificationReceived.kind, e.notificationReceived.order?.id])).toContainEqual(['NEW_MESSAGE', orderId]));
    expect(own.errors).toEqual([]);
    expect(anonymous.events).toEqual([]);
  } finally {
    await Promise.all([anonymousSocket.dispose(), buyerSocket.dispose()]);
  }
});
