import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Viewer } from '../../../lib/auth/viewer';
import type { MarketplaceEvent } from '../../../lib/events/catalog';
import { isUuid } from '../../../lib/ids';
import { startLoneSubgraph, type LoneSubgraph } from '../../../lib/testing/lone-subgraph';
import { reputation } from '../subgraph';

/**
 * The reputation subgraph alone on a database of its own, called over HTTP as the router calls it
 * (signed viewers), with orders played by the test: it publishes OrderStatusChanged into the bus.
 */
export interface ReputationHarness extends LoneSubgraph {
  /** Reads the subgraph's tables for assertions: `$n` stands for the n-th id (see `inspect`). */
  sql(text: string, ...ids: string[]): Promise<Record<string, unknown>[]>;
}

export async function startReputation(env: Record<string, string | undefined> = process.env): Promise<ReputationHarness> {
  const lone = await startLoneSubgraph(reputation, { env, retryDelaysMs: [10, 50, 200] });
  return { ...lone, sql: (text, ...ids) => inspect(lone.subgraph.db, text, ids) };
}

/**
 * Runs a test's read with its ids inlined, so that it travels as one simple-protocol message.
 * PGlite's socket server interleaves the messages of a parameterised statement (Parse, Bind,
 * Execute, Sync) with other connections' when no transaction block is open, so a test polling with
 * parameters while consumers commit can break a consumer's transaction (and hang the bus).
 */
export function inspect(db: DataSource, text: string, ids: string[]): Promise<Record<string, unknown>[]> {
  const inlined = text.replace(/\$(\d+)/g, (_match, n: string) => {
    const id = ids[Number(n) - 1];
    if (!isUuid(id)) throw new Error(`not a UUID: ${id}`);
    return `'${id}'`;
  });
  return db.query(inlined);
}

export const buyerViewer = (userId: string): Viewer => ({ userId, roles: ['buyer'], scopes: ['buyer'] });
export const sellerViewer = (userId: string, sellerId: string): Viewer => ({
  userId,
  roles: ['buyer', 'seller'],
  scopes: ['buyer', 'seller'],
  seller: { id: sellerId, currency: 'USD' },
});

export interface TestOrder {
  orderId: string;
  purchaseId: string;
  buyerId: string;
  sellerId: string;
}

export const newOrder = (overrides: Partial<TestOrder> = {}): TestOrder => ({
  orderId: randomUUID(),
  purchaseId: randomUUID(),
  buyerId: randomUUID(),
  sellerId: randomUUID(),
  ...overrides,
});

export const FLOW = ['PENDING_PAYMENT', 'PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED'] as const;

/** An OrderStatusChanged as orders writes it, with a fresh event id. */
export function statusChanged(
  order: TestOrder,
  status: string,
  at: Date,
  previousStatus: string | null = null,
): MarketplaceEvent<'OrderStatusChanged'> {
  return {
    id: randomUUID(),
    type: 'OrderStatusChanged',
    source: 'orders',
    occurredAt: at.toISOString(),
    payload: {
      ...order,
      previousStatus,
      status,
      at: at.toISOString(),
      items: [{ listingId: randomUUID(), quantity: 1 }],
      total: { amount: 2500, currency: 'USD' },
    },
  };
}

/** The events of an order's life from checkout up to `last`, one second apart. */
export function lifeUpTo(order: TestOrder, last: (typeof FLOW)[number], start = Date.now()): MarketplaceEvent<'OrderStatusChanged'>[] {
  const steps = FLOW.slice(0, FLOW.indexOf(last) + 1);
  return steps.map((status, i) => statusChanged(order, status, new Date(start + i * 1000), i ? steps[i - 1] : null));
}

export const CREATE_REVIEW = /* GraphQL */ `
  mutation CreateReview($input: CreateReviewInput!) {
    createReview(input: $input) { id rating body createdAt author { id } seller { id } order { id } }
  }
`;

export const SELLERS = /* GraphQL */ `
  query Sellers($representations: [_Any!]!, $first: Int, $after: String) {
    _entities(representations: $representations) {
      ... on Seller {
        id
        reputation { score averageRating reviewCount ratingDistribution { rating count } }
        reviews(first: $first, after: $after) {
          totalCount
          edges { cursor node { id rating body createdAt author { id } seller { id } order { id } } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
`;

export const ORDERS = /* GraphQL */ `
  query Orders($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Order { id review { id rating author { id } } } }
  }
`;

export const REVIEWS = /* GraphQL */ `
  query Reviews($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Review { id rating body seller { id } order { id } } }
  }
`;
