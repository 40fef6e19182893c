import { randomUUID } from 'node:crypto';
import { codes } from '../../../lib/client/graphql-client';
import { eventually } from '../../../lib/testing/eventually';
import { TEST_ADDRESS, newListing, newSeller, payByTestCard, signUp, stockOf, type TestUser } from '../../../lib/testing/marketplace';
import { STACK_MODES, startTestStack, type TestStack } from '../../../scripts/test-stack';
import { unbalancedTransactions } from '../../payments/ledger';

/** Checkout with delivery (contract v2 step 11, fulfilment.graphql), through the router, on PostgreSQL and on the embedded default. */
describe.each(STACK_MODES)('on %s', (mode) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ embedded: mode === 'embedded' });
  });
  afterAll(() => stack?.stop());
  afterEach(async () => {
    // money is never lost or created
    expect(await stack.subgraphs.payments.db.transaction((manager) => unbalancedTransactions(manager))).toEqual([]);
  });

  interface Money {
    amount: number;
    currency: string;
  }
  interface DeliveredOrder {
    id: string;
    subtotal: Money;
    shipping: Money;
    total: Money;
    estimatedDelivery: { earliest: string; latest: string } | null;
    shippingAddress: { name: string; line1: string; city: string; postalCode: string; country: string } | null;
  }
  interface DeliveredPurchase {
    id: string;
    total: Money;
    orders: DeliveredOrder[];
    payment: { id: string; amount: Money };
  }

  const usd = (amount: number) => ({ amount, currency: 'USD' });
  const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const FRANCE = { name: 'Ada Lovelace', line1: '5 rue de Rivoli', city: 'Paris', postalCode: '75001', country: 'FR' };

  async function checkout(buyer: TestUser, items: [string, number][], delivery: Record<string, unknown> = {}) {
    return buyer.client.op<{ checkout: DeliveredPurchase }>('CheckoutWithDelivery', {
      input: { items: items.map(([listingId, quantity]) => ({ listingId, quantity })), idempotencyKey: randomUUID(), ...delivery },
    });
  }
  const ok = async (...args: Parameters<typeof checkout>) => {
    const result = await checkout(...args);
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!.checkout;
  };

  describe('the journey, step 11', () => {
    let lamps: TestUser;
    let books: TestUser;
    let lamp: string;
    let book: string;
    beforeAll(async () => {
      lamps = await newSeller(stack.client);
      books = await newSeller(stack.client);
      lamp = await newListing(lamps.client, { title: 'Brass lamp', price: usd(4000), stock: 10 });
      book = await newListing(books.client, { title: 'Atlas', price: usd(2500), stock: 10 });
      await lamps.client.ok('SetShippingRates', {
        rates: [
          { country: 'US', price: usd(500), freeOver: usd(10_000), minDays: 2, maxDays: 5 },
          { country: 'CA', price: usd(1200), minDays: 4, maxDays: 9 },
        ],
      });
    });

    test("each order adds its seller's shipping to the buyer's default address; the purchase is their sum", async () => {
      const buyer = await signUp(stack.client);
      const purchase = await ok(buyer, [
        [lamp, 2],
        [book, 1],
      ]);
      const lampOrder = purchase.orders.find((o) => o.subtotal.amount === 8000)!;
      const bookOrder = purchase.orders.find((o) => o.subtotal.amount === 2500)!;
      expect(lampOrder).toMatchObject({
        shipping: usd(500),
        total: usd(8500),
        estimatedDelivery: { earliest: daysFromNow(2), latest: daysFromNow(5) },
        shippingAddress: { name: TEST_ADDRESS.name, line1: TEST_ADDRESS.line1, city: TEST_ADDRESS.city, postalCode: TEST_ADDRESS.postalCode, country: 'US' },
      });
      // no rates: free everywhere, no promise of days
      expect(bookOrder).toMatchObject({ shipping: usd(0), total: usd(2500), estimatedDelivery: null, shippingAddress: { country: 'US' } });
      expect(purchase.total).toEqual(usd(11_000));
      expect(purchase.payment.amount).toEqual(usd(11_000));
    });

    test('an order whose items come to freeOver ships free', async () => {
      const buyer = await signUp(stack.client);
      const purchase = await ok(buyer, [[lamp, 3]]);
      expect(purchase.orders[0]).toMatchObject({ subtotal: usd(12_000), shipping: usd(0), total: usd(12_000) });
    });

    test('a country the seller does not serve is refused before anything is reserved; a * rate then serves it', async () => {
      const buyer = await signUp(stack.client);
      const before = await stockOf(stack.client, lamp);
      const refused = await checkout(buyer, [[lamp, 1]], { shippingAddress: FRANCE });
      expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors?.[0].extensions?.field).toBe('shippingAddress');
      expect(await stockOf(stack.client, lamp)).toBe(before);
      const seller = await newSeller(stack.client);
      const vase = await newListing(seller.client, { title: 'Vase', price: usd(1500) });
      await seller.client.ok('SetShippingRates', {
        rates: [
          { country: 'US', price: usd(500), minDays: 1, maxDays: 2 },
          { country: '*', price: usd(2000), minDays: 7, maxDays: 21 },
        ],
      });
      const purchase = await ok(buyer, [[vase, 1]], { shippingAddress: FRANCE });
      expect(purchase.orders[0]).toMatchObject({ shipping: usd(2000), total: usd(3500), shippingAddress: { country: 'FR', city: 'Paris' } });
    });

    test("the platform's fee is taken on the items, not on shipping", async () => {
      const buyer = await signUp(stack.client);
      const purchase = await ok(buyer, [[lamp, 1]]);
      await payByTestCard(buyer, purchase.payment.id);
      const orderId = purchase.orders[0].id;
      const payout = await eventually(async () => {
        const { order } = await lamps.client.ok<{ order: { payout: { platformFee: Money; net: Money } | null } }>('Order', { id: orderId });
        expect(order.payout).not.toBeNull();
        return order.payout!;
      });
      // 10 % of the $40.00 lamp; the $5.00 of shipping is the seller's whole
      expect(payout).toMatchObject({ platformFee: usd(400), net: usd(4100) });
    });
  });

  describe('addresses at checkout', () => {
    let seller: TestUser;
    let kettle: string;
    let ebook: string;
    beforeAll(async () => {
      seller = await newSeller(stack.client);
      kettle = await newListing(seller.client, { title: 'Kettle', price: usd(3000), stock: 10 });
      ebook = await newListing(seller.client, { title: 'E-book', price: usd(900), stock: 10, fulfillment: 'DIGITAL' });
    });

    test('a buyer without any address cannot check out goods that ship, and nothing is reserved', async () => {
      const buyer = await signUp(stack.client, undefined, { address: false });
      const before = await stockOf(stack.client, kettle);
      const result = await checkout(buyer, [[kettle, 1]]);
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0].extensions?.field).toBe('shippingAddress');
      expect(await stockOf(stack.client, kettle)).toBe(before);
      // the same key works once the buyer has an address: the refusal kept nothing
      await buyer.client.ok('AddAddress', { input: TEST_ADDRESS });
      expect((await ok(buyer, [[kettle, 1]])).orders[0].shippingAddress).toMatchObject({ country: 'US' });
    });

    test('digital goods need no address and have none', async () => {
      const buyer = await signUp(stack.client, undefined, { address: false });
      const purchase = await ok(buyer, [[ebook, 1]]);
      expect(purchase.orders[0]).toMatchObject({ subtotal: usd(900), shipping: usd(0), total: usd(900), shippingAddress: null, estimatedDelivery: null });
    });

    test('an address of the book by id, or one given for this checkout; never someone else’s', async () => {
      const buyer = await signUp(stack.client);
      const { addAddress } = await buyer.client.ok<{ addAddress: { id: string } }>('AddAddress', { input: { ...TEST_ADDRESS, city: 'Shelbyville' } });
      expect((await ok(buyer, [[kettle, 1]], { shippingAddressId: addAddress.id })).orders[0].shippingAddress).toMatchObject({ city: 'Shelbyville' });
      expect((await ok(buyer, [[kettle, 1]], { shippingAddress: { ...TEST_ADDRESS, city: 'Ogdenville' } })).orders[0].shippingAddress).toMatchObject({
        city: 'Ogdenville',
      });
      const other = await signUp(stack.client);
      const refused = await checkout(other, [[kettle, 1]], { shippingAddressId: addAddress.id });
      expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors?.[0].extensions?.field).toBe('shippingAddressId');
      const bad = await checkout(other, [[kettle, 1]], { shippingAddress: { ...TEST_ADDRESS, country: 'Narnia' } });
      expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'shippingAddress.country' });
    });

    test('its buyer sees the address; its seller once it is paid; then it ships with a carrier and a tracking page', async () => {
      const buyer = await signUp(stack.client);
      const purchase = await ok(buyer, [[kettle, 1]]);
      const orderId = purchase.orders[0].id;
      const addressAs = async (who: TestUser) =>
        (await who.client.ok<{ order: { shippingAddress: { city: string } | null } }>('OrderDelivery', { id: orderId })).order.shippingAddress;
      expect(await addressAs(buyer)).toMatchObject({ city: TEST_ADDRESS.city });
      expect(await addressAs(seller)).toBeNull();
      await payByTestCard(buyer, purchase.payment.id);
      await eventually(async () => expect(await addressAs(seller)).toMatchObject({ city: TEST_ADDRESS.city }));
      await seller.client.ok('AcceptOrder', { id: orderId });
      expect(codes(await seller.client.op('ShipOrderWithCarrier', { id: orderId, carrier: 'x'.repeat(101), trackingNumber: '1Z999' }))).toEqual([
        'BAD_USER_INPUT',
      ]);
      const { shipOrder } = await seller.client.ok<{ shipOrder: Record<string, unknown> }>('ShipOrderWithCarrier', {
        id: orderId,
        carrier: 'UPS',
        trackingNumber: '1Z999AA10123456784',
      });
      expect(shipOrder).toEqual({
        id: orderId,
        status: 'SHIPPED',
        carrier: 'UPS',
        trackingNumber: '1Z999AA10123456784',
        trackingUrl: 'https://www.ups.com/track?tracknum=1Z999AA10123456784',
      });
    });

    test('a carrier the marketplace does not know has no tracking page', async () => {
      const buyer = await signUp(stack.client);
      const purchase = await ok(buyer, [[kettle, 1]]);
      await payByTestCard(buyer, purchase.payment.id);
      const orderId = purchase.orders[0].id;
      await eventually(async () => expect(codes(await seller.client.op('AcceptOrder', { id: orderId }))).toEqual([]));
      const { shipOrder } = await seller.client.ok<{ shipOrder: { trackingUrl: string | null; carrier: string } }>('ShipOrderWithCarrier', {
        id: orderId,
        carrier: 'Pigeon Post',
        trackingNumber: 'coo-1',
      });
      expect(shipOrder).toMatchObject({ carrier: 'Pigeon Post', trackingUrl: null });
    });
  });
});
