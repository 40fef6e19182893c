import type { DemoIds } from './examples';
import { graphqlRequest } from './request';

/**
 * What the demo data of a fresh local stack holds (scripts/seed.ts makes it): the examples and the
 * sign-in bar point at it, so that a newcomer's first runs work as they are.
 */
export const DEMO_PASSWORD = 'demo-password';

export const DEMO_ACCOUNTS: readonly { email: string; label: string }[] = [
  { email: 'buyer@demo.market', label: 'buyer' },
  { email: 'alice@demo.market', label: 'alice (seller)' },
  { email: 'ops@demo.market', label: 'ops (operator)' },
];

const DEMO_IDS = `query PlaygroundDemoIds {
  listings(first: 1, filter: { inStock: true }) { edges { node { id seller { id } } } }
}`;

/** A listing on sale and its seller, or nothing when the catalogue is empty or the router slow: examples then show placeholders. */
export async function lookUpDemoIds(timeoutMs = 2000): Promise<DemoIds> {
  const lookup = graphqlRequest<{ listings: { edges: { node: { id: string; seller: { id: string } } }[] } }>('PlaygroundDemoIds', DEMO_IDS)
    .then(({ listings }) => {
      const node = listings.edges[0]?.node;
      return node ? { listingId: node.id, sellerId: node.seller.id } : {};
    })
    .catch(() => ({}));
  const timeout = new Promise<DemoIds>((resolve) => setTimeout(() => resolve({}), timeoutMs));
  return Promise.race([lookup, timeout]);
}
