import { randomUUID } from 'node:crypto';
import { generate } from 'otplib';
import type { GraphQLClient } from '../client/graphql-client';

/**
 * Users and listings made through the public API, as the contract's journey makes them.
 */
let counter = 0;

export interface TestUser {
  client: GraphQLClient;
  userId: string;
  email: string;
  sellerId?: string;
}

/** Every test user's password. */
export const TEST_PASSWORD = 'a long enough password';

/** Where test users live unless a test says otherwise: a default address in the US. */
export const TEST_ADDRESS = { name: 'Test Buyer', line1: '1 Main Street', city: 'Springfield', postalCode: '12345', country: 'US' };

/** A new user; with a default address (as checkouts of goods that ship need) unless `address` is false. */
export async function signUp(client: GraphQLClient, displayName?: string, { address = true }: { address?: boolean } = {}): Promise<TestUser> {
  counter += 1;
  const email = `user${counter}-${randomUUID().slice(0, 8)}@example.com`;
  const { signUp } = await client.ok<{ signUp: { token: string; user: { id: string } } }>('SignUp', {
    input: { email, password: TEST_PASSWORD, displayName },
  });
  const user = { client: client.as(signUp.token), userId: signUp.user.id, email };
  if (address) await user.client.ok('AddAddress', { input: TEST_ADDRESS });
  return user;
}

export async function newSeller(client: GraphQLClient, { currency = 'USD', shopName }: { currency?: string; shopName?: string } = {}): Promise<TestUser> {
  const user = await signUp(client);
  const { becomeSeller } = await user.client.ok<{ becomeSeller: { token: string; seller: { id: string } } }>('BecomeSeller', {
    input: { shopName: shopName ?? `Shop ${randomUUID().slice(0, 8)}`, country: 'US', currency },
  });
  return { client: client.as(becomeSeller.token), userId: user.userId, email: user.email, sellerId: becomeSeller.seller.id };
}

export interface ListingInput {
  title: string;
  description?: string;
  price?: { amount: number; currency: string };
  category?: string;
  stock?: number;
  /** The stock at which the seller is told LOW_STOCK (the listing's default when left out). */
  lowStockThreshold?: number;
  fulfillment?: 'SHIPPING' | 'DIGITAL' | 'SERVICE';
}

export async function newListing(seller: GraphQLClient, input: ListingInput, publish = true): Promise<string> {
  const { createListing } = await seller.ok<{ createListing: { id: string } }>('CreateListing', {
    input: {
      description: 'A fine thing, gently used.',
      price: { amount: 1000, currency: 'USD' },
      category: 'home-garden',
      stock: 3,
      ...input,
    },
  });
  if (publish) await seller.ok('PublishListing', { id: createListing.id });
  return createListing.id;
}

export async function stockOf(client: GraphQLClient, listingId: string): Promise<number> {
  const { listing } = await client.ok<{ listing: { stock: number } }>('Listing', { id: listingId });
  return listing.stock;
}

export interface TestPurchase {
  orders: { id: string; seller: { id: string } }[];
  paymentId: string;
}

/** Checks out one of each listing (one order per seller), unpaid. */
export async function checkOut(buyer: TestUser, listingIds: string[]): Promise<TestPurchase> {
  const { checkout } = await buyer.client.ok<{ checkout: { orders: TestPurchase['orders']; payment: { id: string } } }>('Checkout', {
    input: { items: listingIds.map((listingId) => ({ listingId, quantity: 1 })), idempotencyKey: randomUUID() },
  });
  return { orders: checkout.orders, paymentId: checkout.payment.id };
}

export async function payByTestCard(buyer: TestUser, paymentId: string, card = '4242424242424242'): Promise<void> {
  await buyer.client.ok('ConfirmTestPayment', { paymentId, card });
}

/**
 * A code from a TOTP secret, `stepsAhead` periods from now. Each step's code is accepted once and the
 * next step's a period early at most, so a test signs in at most twice a period with codes (then with
 * recovery codes).
 */
export async function totpCode(secret: string, stepsAhead = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 * stepsAhead });
}

/** Turns two-factor on for a signed-in user; returns its secret and recovery codes. */
export async function turnOnTwoFactor(user: TestUser): Promise<{ secret: string; recoveryCodes: string[] }> {
  const { enableTwoFactor } = await user.client.ok<{ enableTwoFactor: { secret: string } }>('EnableTwoFactor');
  const { confirmTwoFactor } = await user.client.ok<{ confirmTwoFactor: { recoveryCodes: string[] } }>('ConfirmTwoFactor', {
    code: await totpCode(enableTwoFactor.secret),
  });
  return { secret: enableTwoFactor.secret, recoveryCodes: confirmTwoFactor.recoveryCodes };
}

/**
 * An operator as the marketplace requires one: the role granted (by `grant`, the command line's
 * grantRole on the accounts database), two-factor on, and signed in with a code.
 */
export async function newOperator(
  client: GraphQLClient,
  grant: (email: string) => Promise<unknown>,
): Promise<TestUser & { secret: string; recoveryCodes: string[] }> {
  const user = await signUp(client, 'Operator', { address: false });
  await grant(user.email);
  const { secret, recoveryCodes } = await turnOnTwoFactor(user);
  const { logIn } = await client.ok<{ logIn: { token: string } }>('LogInWithCode', {
    // the confirming code's step is spent: the next one (accepted a step early) signs in
    input: { email: user.email, password: TEST_PASSWORD, code: await totpCode(secret, 1) },
  });
  return { ...user, client: client.as(logIn.token), secret, recoveryCodes };
}
