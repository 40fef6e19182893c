import type { Logger } from '../lib/logger';
import { GraphQLClient } from '../lib/client/graphql-client';
import { OPERATOR, grantRole } from '../subgraphs/accounts/roles';
import { seedListings } from '../subgraphs/listings/seed';
import type { Stack } from './stack';

const PASSWORD = 'demo-password';
const SELLERS = [
  { email: 'alice@demo.market', shopName: "Alice's Attic", country: 'US', currency: 'USD' },
  { email: 'bruno@demo.market', shopName: 'Bruno Books', country: 'US', currency: 'USD' },
  { email: 'chen@demo.market', shopName: 'Chen Electronics', country: 'US', currency: 'USD' },
  { email: 'dora@demo.market', shopName: 'Dora Design', country: 'DE', currency: 'EUR' },
];
const BUYER = 'buyer@demo.market';
const OPERATOR_EMAIL = 'ops@demo.market';

/**
 * Demo data for a fresh local stack. Accounts are made through the public API, as a user would;
 * the few hundred listings go straight into the listings database, in a few statements.
 * Returns a line for the console, or undefined when the databases already hold data.
 */
export async function seedDemo(stack: Stack, logger: Logger): Promise<string | undefined> {
  const [{ n }] = await stack.subgraphs.accounts.db.query('SELECT count(*)::int AS n FROM users');
  if (n > 0) return undefined;
  const client = new GraphQLClient(stack.routerUrl);
  const sellers: { id: string; currency: string }[] = [];
  for (const seller of SELLERS) {
    const { signUp } = await client.ok<{ signUp: { token: string } }>('SignUp', {
      input: { email: seller.email, password: PASSWORD },
    });
    const { becomeSeller } = await client.as(signUp.token).ok<{ becomeSeller: { seller: { id: string } } }>('BecomeSeller', {
      input: { shopName: seller.shopName, country: seller.country, currency: seller.currency },
    });
    sellers.push({ id: becomeSeller.seller.id, currency: seller.currency });
  }
  const { signUp: buyer } = await client.ok<{ signUp: { token: string } }>('SignUp', {
    input: { email: BUYER, password: PASSWORD, displayName: 'Demo Buyer' },
  });
  // goods ship: the demo buyer has somewhere to receive them
  await client.as(buyer.token).ok('AddAddress', {
    input: { name: 'Demo Buyer', line1: '1 Market Street', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' },
  });
  await client.ok('SignUp', { input: { email: OPERATOR_EMAIL, password: PASSWORD, displayName: 'Demo Operator' } });
  await grantRole(stack.subgraphs.accounts.db, OPERATOR_EMAIL, OPERATOR);
  const listings = await seedListings(stack.subgraphs.listings.db, sellers);
  logger.info('seeded demo data', { sellers: sellers.length, listings });
  return `${sellers.length} sellers, ${listings} listings; log in as ${BUYER}, ${SELLERS[0].email} or ${OPERATOR_EMAIL} (an operator) with password "${PASSWORD}"`;
}
