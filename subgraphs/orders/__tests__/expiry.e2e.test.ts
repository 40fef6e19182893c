import { randomUUID } from 'node:crypto';
import { signViewer } from '../../../lib/auth/viewer';
import { eventually } from '../../../lib/testing/eventually';
import { newListing, newSeller, signUp, stockOf } from '../../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    env: { ...process.env, CHECKOUT_RESERVATION_TTL_SECONDS: '1', ORDERS_SWEEP_INTERVAL_MS: '100' },
  });
});
afterAll(() => stack?.stop());

/** In a transaction: PGlite interleaves the statements of connections outside transactions. */
const ordersQuery = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
  stack.subgraphs.orders.db.transaction((manager) => manager.query(sql, params));

test('an unpaid purchase expires: its orders are CANCELLED by the system and the stock comes back', async () => {
  const seller = await newSeller(stack.client);
  const buyer = await signUp(stack.client);
  const listing = await newListing(seller.client, { title: 'Fleeting kite', stock: 4, category: 'toys-games' });
  const { checkout } = await buyer.client.ok<{ checkout: { orders: { id: string }[] } }>('Checkout', {
    input: { items: [{ listingId: listing, quantity: 3 }], idempotencyKey: randomUUID() },
  });
  expect(await stockOf(stack.client, listing)).toBe(1);
  const orderId = checkout.orders[0].id;
  const order = await eventually(async () => {
    const { order } = await buyer.client.ok<{ order: { status: string; statusHistory: { status: string }[] } }>('Order', { id: orderId });
    expect(order.status).toBe('CANCELLED');
    return order;
  });
  expect(order.statusHistory.map((h) => h.status)).toEqual(['PENDING_PAYMENT', 'CANCELLED']);
  await eventually(async () => expect(await stockOf(stack.client, listing)).toBe(4));

  // another event cancelling the same order (not a redelivery: an id of its own) returns nothing more
  const [{ purchase_id: purchaseId, buyer_id: buyerId, seller_id: sellerId }] = await ordersQuery<{ purchase_id: string; buyer_id: string; seller_id: string }>(
    `SELECT o.purchase_id, p.buyer_id, o.seller_id FROM orders o JOIN purchases p ON p.id = o.purchase_id WHERE o.id = $1`,
    [orderId],
  );
  const payload = {
    orderId,
    purchaseId,
    buyerId,
    sellerId,
    previousStatus: 'PENDING_PAYMENT',
    status: 'CANCELLED',
    at: new Date().toISOString(),
    items: [{ listingId: listing, quantity: 3 }],
    total: { amount: 3000, currency: 'USD' },
  };
  await stack.bus.publish([{ id: randomUUID(), type: 'OrderStatusChanged', source: 'orders', occurredAt: new Date().toISOString(), payload }]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await stack.subgraphs.listings.db.transaction((m) => m.query(`SELECT stock FROM listings WHERE id = $1`, [listing]))).toEqual([{ stock: 4 }]);
});

test('a checkout abandoned between reserving stock and writing its orders gives the stock back, once', async () => {
  const seller = await newSeller(stack.client);
  const listing = await newListing(seller.client, { title: 'Orphaned lantern', stock: 5, category: 'home-garden' });
  const buyerId = randomUUID();
  const purchaseId = randomUUID();
  // what a checkout that died after listings reserved its stock leaves behind: a claim, no orders
  await ordersQuery(
    `INSERT INTO purchases (id, buyer_id, idempotency_key, request_hash, state, expires_at, created_at)
     VALUES ($1, $2, 'died-midway', 'x', 'RESERVING', now() + interval '1 hour', now())`,
    [purchaseId, buyerId],
  );
  const reserve = JSON.stringify({
    query: `mutation ($input: ReserveStockInput!) { reserveStock(input: $input) { items { listingId quantity } } }`,
    variables: { input: { reservationId: purchaseId, buyerSellerId: null, items: [{ listingId: listing, quantity: 2 }] } },
  });
  const reserved = await fetch(stack.subgraphs.listings.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signViewer({ userId: 'service:orders', roles: ['service'], scopes: ['internal'] }, stack.routerSecret, reserve) },
    body: reserve,
  });
  expect(((await reserved.json()) as { errors?: unknown }).errors).toBeUndefined();
  expect(await stockOf(stack.client, listing)).toBe(3);

  // not yet: a checkout still under way (or one listings may still answer) is left alone
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await ordersQuery(`SELECT state FROM purchases WHERE id = $1`, [purchaseId])).toEqual([{ state: 'RESERVING' }]);
  // well past its expiry: abandoned, and listings gives the two units back
  await ordersQuery(`UPDATE purchases SET expires_at = now() - interval '20 minutes' WHERE id = $1`, [purchaseId]);
  await eventually(async () => expect(await stockOf(stack.client, listing)).toBe(5));
  expect(await ordersQuery(`SELECT id FROM purchases WHERE id = $1`, [purchaseId])).toEqual([]);
  // the event again (redelivered, or another instance's sweep): nothing more comes back
  const again = { type: 'PurchaseAbandoned', source: 'orders', occurredAt: new Date().toISOString(), payload: { purchaseId, at: new Date().toISOString() } };
  await stack.bus.publish([{ id: randomUUID(), ...again }, { id: randomUUID(), ...again }]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await stockOf(stack.client, listing)).toBe(5);
  expect(await stack.subgraphs.listings.db.transaction((m) => m.query(`SELECT stock FROM listings WHERE id = $1`, [listing]))).toEqual([{ stock: 5 }]);
});
