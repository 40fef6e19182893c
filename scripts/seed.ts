import type { Logger } from '../lib/logger';
import { GraphQLClient } from '../lib/client/graphql-client';
import { OPERATOR, grantRole } from '../subgraphs/accounts/roles';
import { seedListings } from '../subgraphs/listings/seed';
import type { Stack } from './stack';

const PASSWORD = 'demo-password';
// Dora has not set up payouts: her released money waits in available, as a new seller's does
const SELLERS = [
  { email: 'alice@demo.market', shopName: "Alice's Attic", country: 'US', currency: 'USD', payouts: true },
  { email: 'bruno@demo.market', shopName: 'Bruno Books', country: 'US', currency: 'USD', payouts: true },
  { email: 'chen@demo.market', shopName: 'Chen Electronics', country: 'US', currency: 'USD', payouts: true },
  { email: 'dora@demo.market', shopName: 'Dora Design', country: 'DE', currency: 'EUR', payouts: false },
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
    const { becomeSeller } = await client.as(signUp.token).ok<{ becomeSeller: { token: string; seller: { id: string } } }>('BecomeSeller', {
      input: { shopName: seller.shopName, country: seller.country, currency: seller.currency },
    });
    sellers.push({ id: becomeSeller.seller.id, currency: seller.currency });
    if (seller.payouts) await completeTestOnboarding(client.as(becomeSeller.token), stack.routerUrl, logger);
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

/**
 * The seller opens the test provider's onboarding link, as they would in a browser. The link names
 * the marketplace's public address; the seed reaches the same page on the router it talks to. With
 * Stripe the link is Stripe's own page, which only a person can complete: skipped.
 */
async function completeTestOnboarding(seller: GraphQLClient, routerUrl: string, logger: Logger): Promise<void> {
  const { startPayoutOnboarding } = await seller.ok<{ startPayoutOnboarding: { url: string } }>('StartPayoutOnboarding', {
    returnUrl: 'http://localhost/payouts/done',
    refreshUrl: 'http://localhost/payouts/again',
  });
  const link = new URL(startPayoutOnboarding.url);
  if (link.pathname !== '/payouts/onboarding') {
    logger.info('demo sellers onboard for payouts on the provider’s own page', { url: link.origin });
    return;
  }
  const page = new URL(`${link.pathname}${link.search}`, routerUrl);
  const response = await fetch(page, { redirect: 'manual' });
  if (response.status !== 302) throw new Error(`the test provider's onboarding page answered ${response.status}`);
}
