import type { GraphQLClient } from '../../../lib/client/graphql-client';

let counter = 0;

/** Signs up a fresh user through the API and, with a shop, makes them a seller; returns a client holding their token. */
export async function newUser(client: GraphQLClient, shop?: { shopName?: string; currency?: string }) {
  counter += 1;
  const email = `user${counter}-${Date.now()}@example.com`;
  const { signUp } = await client.ok<{ signUp: { token: string; user: { id: string } } }>('SignUp', {
    input: { email, password: 'a long enough password' },
  });
  if (!shop) return { client: client.as(signUp.token), userId: signUp.user.id, sellerId: undefined };
  const { becomeSeller } = await client.as(signUp.token).ok<{ becomeSeller: { token: string; seller: { id: string } } }>(
    'BecomeSeller',
    { input: { shopName: shop.shopName ?? `Shop ${counter} ${Date.now()}`, country: 'US', currency: shop.currency ?? 'USD' } },
  );
  return { client: client.as(becomeSeller.token), userId: signUp.user.id, sellerId: becomeSeller.seller.id };
}

export interface ListingInput {
  title: string;
  description?: string;
  price?: { amount: number; currency: string };
  category?: string;
  stock?: number;
}

export async function createListing(seller: GraphQLClient, input: ListingInput, publish = true): Promise<string> {
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
