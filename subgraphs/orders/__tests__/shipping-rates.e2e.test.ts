import { codes } from '../../../lib/client/graphql-client';
import { newSeller, signUp } from '../../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';
import { quoteShipping } from '../shipping';
import { ShippingRateEntity } from '../entities';

/** Sellers' shipping rates (contract v2, fulfilment.graphql), through the router. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

interface Rate {
  country: string;
  price: { amount: number; currency: string; formatted?: string };
  freeOver: { amount: number; currency: string } | null;
  minDays: number;
  maxDays: number;
}

const US = { country: 'us', price: { amount: 500, currency: 'USD' }, freeOver: { amount: 10_000, currency: 'USD' }, minDays: 2, maxDays: 5 };
const CA = { country: 'CA', price: { amount: 1200, currency: 'USD' }, minDays: 4, maxDays: 9 };
const ELSEWHERE = { country: '*', price: { amount: 2000, currency: 'USD' }, minDays: 7, maxDays: 21 };

const ratesOf = async (sellerId: string | undefined) =>
  (await stack.client.ok<{ seller: { shippingRates: Rate[] } }>('SellerShipping', { sellerId })).seller.shippingRates;

test('a seller sets rates, which anyone reads; each call replaces the last', async () => {
  const seller = await newSeller(stack.client);
  expect(await ratesOf(seller.sellerId)).toEqual([]);
  const { setShippingRates } = await seller.client.ok<{ setShippingRates: Rate[] }>('SetShippingRates', { rates: [ELSEWHERE, US, CA] });
  expect(setShippingRates.map((rate) => rate.country)).toEqual(['CA', 'US', '*']);
  expect(await ratesOf(seller.sellerId)).toEqual([
    { country: 'CA', price: { amount: 1200, currency: 'USD', formatted: '$12.00' }, freeOver: null, minDays: 4, maxDays: 9 },
    { country: 'US', price: { amount: 500, currency: 'USD', formatted: '$5.00' }, freeOver: { amount: 10_000, currency: 'USD' }, minDays: 2, maxDays: 5 },
    { country: '*', price: { amount: 2000, currency: 'USD', formatted: '$20.00' }, freeOver: null, minDays: 7, maxDays: 21 },
  ]);
  await seller.client.ok('SetShippingRates', { rates: [CA] });
  expect((await ratesOf(seller.sellerId)).map((rate) => rate.country)).toEqual(['CA']);
  await seller.client.ok('SetShippingRates', { rates: [] });
  expect(await ratesOf(seller.sellerId)).toEqual([]);
});

test('only sellers set rates', async () => {
  const buyer = await signUp(stack.client);
  expect(codes(await buyer.client.op('SetShippingRates', { rates: [US] }))).toEqual(['FORBIDDEN']);
  expect(codes(await stack.client.op('SetShippingRates', { rates: [US] }))).toEqual(['UNAUTHENTICATED']);
});

test.each([
  ['an unknown country', { ...US, country: 'XX' }, 'country'],
  ['another currency', { ...US, price: { amount: 500, currency: 'EUR' } }, 'price.currency'],
  ['a negative price', { ...US, price: { amount: -1, currency: 'USD' } }, 'price.amount'],
  ['a free-over of nothing', { ...US, freeOver: { amount: 0, currency: 'USD' } }, 'freeOver.amount'],
  ['more days at least than at most', { ...US, minDays: 6, maxDays: 5 }, 'minDays'],
  ['a delivery over a year', { ...US, maxDays: 366 }, 'maxDays'],
])('%s is refused, naming the field, and the rates stay as they were', async (_case, rate, field) => {
  const seller = await newSeller(stack.client);
  await seller.client.ok('SetShippingRates', { rates: [CA] });
  const result = await seller.client.op('SetShippingRates', { rates: [ELSEWHERE, rate] });
  expect(codes(result)).toEqual(['BAD_USER_INPUT']);
  expect(result.errors?.[0].extensions?.field).toBe(field);
  expect((await ratesOf(seller.sellerId)).map((r) => r.country)).toEqual(['CA']);
});

test('one rate per country', async () => {
  const seller = await newSeller(stack.client);
  expect(codes(await seller.client.op('SetShippingRates', { rates: [US, { ...US, country: 'US' }] }))).toEqual(['BAD_USER_INPUT']);
  expect(await ratesOf(seller.sellerId)).toEqual([]);
});

describe('what an order costs to ship', () => {
  const rate = (country: string, priceAmount: number, freeOverAmount: number | null, minDays = 1, maxDays = 3) =>
    Object.assign(new ShippingRateEntity(), { sellerId: 's', country, priceAmount, freeOverAmount, currency: 'USD', minDays, maxDays });
  const rates = [rate('US', 500, 10_000, 2, 5), rate('CA', 1200, null, 4, 9)];

  test('no rates: free everywhere, no days promised', () => {
    expect(quoteShipping([], 'FR', 100)).toEqual({ amount: 0, days: null });
  });
  test("the country's rate, free from freeOver on", () => {
    expect(quoteShipping(rates, 'US', 9_999)).toEqual({ amount: 500, days: { min: 2, max: 5 } });
    expect(quoteShipping(rates, 'US', 10_000)).toEqual({ amount: 0, days: { min: 2, max: 5 } });
    expect(quoteShipping(rates, 'CA', 1_000_000)).toEqual({ amount: 1200, days: { min: 4, max: 9 } });
  });
  test('a country without a rate is not served, unless * covers it', () => {
    expect(quoteShipping(rates, 'FR', 100)).toBeUndefined();
    expect(quoteShipping([...rates, rate('*', 2000, null, 7, 21)], 'FR', 100)).toEqual({ amount: 2000, days: { min: 7, max: 21 } });
  });
});
