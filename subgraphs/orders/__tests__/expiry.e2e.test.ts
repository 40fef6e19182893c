import { randomUUID } from 'node:crypto';
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
});
