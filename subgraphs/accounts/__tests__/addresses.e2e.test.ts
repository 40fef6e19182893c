import { codes, type GraphQLClient } from '../../../lib/client/graphql-client';
import type { PostalAddress } from '../../../lib/postal-address';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';
import { MAX_ADDRESSES } from '../addresses';

/** The address book of contract v2 (fulfilment.graphql), through the router. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

type Address = PostalAddress & { id: string; isDefault: boolean };

let people = 0;
async function person(): Promise<GraphQLClient> {
  const email = `addressee${++people}-${Date.now()}@example.com`;
  const { signUp } = await stack.client.ok<{ signUp: { token: string } }>('SignUp', { input: { email, password: 'correct horse battery' } });
  return stack.client.as(signUp.token);
}

const HOME = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'gb' };
const OFFICE = { name: 'Ada Lovelace', line1: '1 Analytical Way', line2: 'Floor 3', city: 'Boston', region: 'MA', postalCode: '02110', country: 'US', phone: '+1 (617) 555-0100' };

const add = async (as: GraphQLClient, input: Record<string, unknown>, makeDefault?: boolean) =>
  (await as.ok<{ addAddress: Address }>('AddAddress', { input, makeDefault })).addAddress;
const book = async (as: GraphQLClient) => (await as.ok<{ me: { addresses: Address[] } }>('MyAddresses')).me.addresses;
const rowsOf = async (as: GraphQLClient) => (await book(as)).length;

test('the first address is the default; one added with makeDefault takes over; the book lists the default first', async () => {
  const ada = await person();
  expect(await book(ada)).toEqual([]);
  const home = await add(ada, HOME);
  expect(home).toMatchObject({ ...HOME, country: 'GB', isDefault: true });
  const office = await add(ada, OFFICE);
  expect(office.isDefault).toBe(false);
  expect((await book(ada)).map((a) => [a.id, a.isDefault])).toEqual([
    [home.id, true],
    [office.id, false],
  ]);
  const cabin = await add(ada, { ...HOME, line1: 'The Cabin' }, true);
  const listed = await book(ada);
  expect(listed.map((a) => [a.id, a.isDefault])).toEqual([
    [cabin.id, true],
    [office.id, false],
    [home.id, false],
  ]);
  expect(listed[1]).toEqual({ ...OFFICE, id: office.id, isDefault: false });
});

test('removing the default makes the most recently added remaining one the default', async () => {
  const ada = await person();
  const first = await add(ada, HOME);
  const second = await add(ada, OFFICE);
  const third = await add(ada, { ...HOME, line1: 'Third' });
  expect((await ada.ok<{ removeAddress: boolean }>('RemoveAddress', { id: first.id })).removeAddress).toBe(true);
  expect((await book(ada)).map((a) => [a.id, a.isDefault])).toEqual([
    [third.id, true],
    [second.id, false],
  ]);
  // removing one that is not the default leaves the default alone
  await ada.ok('RemoveAddress', { id: second.id });
  await ada.ok('RemoveAddress', { id: third.id });
  expect(await book(ada)).toEqual([]);
});

test("nobody else reads or removes someone's addresses; anonymous callers are refused", async () => {
  const ada = await person();
  const eve = await person();
  const home = await add(ada, HOME);
  expect(codes(await eve.op('RemoveAddress', { id: home.id }))).toEqual(['NOT_FOUND']);
  expect(codes(await eve.op('RemoveAddress', { id: 'not-an-id' }))).toEqual(['NOT_FOUND']);
  expect(await book(eve)).toEqual([]);
  expect(codes(await stack.client.op('AddAddress', { input: HOME }))).toEqual(['UNAUTHENTICATED']);
  expect(codes(await stack.client.op('RemoveAddress', { id: home.id }))).toEqual(['UNAUTHENTICATED']);
  // another user reached through the graph shows no address book
  const seller = await eve.ok<{ becomeSeller: { token: string; seller: { id: string } } }>('BecomeSeller', {
    input: { shopName: `Eve's ${Date.now()}`, country: 'US', currency: 'USD' },
  });
  const seen = await ada.query<{ seller: { user: { addresses: Address[] | null } } }>(
    'query ($id: ID!) { seller(id: $id) { user { addresses { id } } } }',
    { id: seller.becomeSeller.seller.id },
  );
  expect(seen.data?.seller.user.addresses).toBeNull();
  expect(await rowsOf(ada)).toBe(1);
});

test.each([
  ['an unknown country', { ...HOME, country: 'XX' }, 'country'],
  ['a country name instead of its code', { ...HOME, country: 'France' }, 'country'],
  ['an empty name', { ...HOME, name: '   ' }, 'name'],
  ['a street over 200 characters', { ...HOME, line1: 'x'.repeat(201) }, 'line1'],
  ['an empty postal code', { ...HOME, postalCode: '' }, 'postalCode'],
  ['a phone with letters', { ...HOME, phone: 'call me' }, 'phone'],
])('%s is refused, naming the field, and saves nothing', async (_case, input, field) => {
  const ada = await person();
  const result = await ada.op('AddAddress', { input });
  expect(codes(result)).toEqual(['BAD_USER_INPUT']);
  expect(result.errors?.[0].extensions?.field).toBe(field);
  expect(await rowsOf(ada)).toBe(0);
});

test(`an address book holds at most ${MAX_ADDRESSES} addresses`, async () => {
  const ada = await person();
  for (let i = 0; i < MAX_ADDRESSES; i++) await add(ada, { ...HOME, line1: `${i} Long Street` });
  expect(codes(await ada.op('AddAddress', { input: HOME }))).toEqual(['BAD_USER_INPUT']);
  expect(await rowsOf(ada)).toBe(MAX_ADDRESSES);
});

test('two addresses added at once with makeDefault leave exactly one default', async () => {
  const ada = await person();
  await add(ada, HOME);
  await Promise.all([add(ada, OFFICE, true), add(ada, { ...OFFICE, line1: 'Elsewhere' }, true)]);
  expect((await book(ada)).filter((a) => a.isDefault)).toHaveLength(1);
});
