import { siblingDatabaseUrl } from '../../lib/db/data-source';
import { createLogger } from '../../lib/logger';
import { startSubgraph, type StartedSubgraph } from '../../lib/server/start-subgraph';
import { eventually } from '../../lib/testing/eventually';
import { newListing, newSeller } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';
import { reputation } from '../../subgraphs/reputation/subgraph';

/**
 * One subgraph down: the router answers what the others can, with an error naming the one that is
 * not there; readiness says so, and recovers when it is back.
 */
let stack: TestStack;
let reputationNow: StartedSubgraph;
let listingId: string;

beforeAll(async () => {
  stack = await startTestStack();
  const seller = await newSeller(stack.client, { shopName: 'Steady Shop' });
  listingId = await newListing(seller.client, { title: 'Sturdy lamp', category: 'home-garden' });
  reputationNow = stack.subgraphs.reputation;
});
afterAll(async () => {
  await reputationNow?.stop();
  await stack?.stop();
});

const ready = async () => {
  const response = await fetch(new URL('/ready', stack.routerUrl));
  return { status: response.status, body: (await response.json()) as unknown };
};

test('reputation stopped: a listing comes with its seller, the fields only reputation knows are null, and the error names it', async () => {
  expect(await ready()).toEqual({ status: 200, body: { status: 'ready' } });
  const port = Number(new URL(reputationNow.url).port);
  await reputationNow.stop();

  const { data, errors } = await stack.client.op<{ listing: { title: string; seller: { shopName: string; reputation: { score: number; averageRating: number | null } } } }>('Listing', {
    id: listingId,
  });
  expect(data?.listing).toMatchObject({ title: 'Sturdy lamp', seller: { shopName: 'Steady Shop', reputation: { score: expect.any(Number), averageRating: null } } });
  expect(errors).toEqual([
    expect.objectContaining({ message: 'The reputation service is unavailable; try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE', service: 'reputation' } }),
  ]);

  // a search page needs nothing of reputation (listings serves its seller's score): it is whole
  const search = await stack.client.op('SearchListings', { query: 'lamp', first: 5 });
  expect(search.errors).toBeUndefined();

  expect(await ready()).toEqual({ status: 503, body: { status: 'unavailable', down: ['reputation'] } });

  // back on the same port: ready again, and whole answers
  reputationNow = await startSubgraph(reputation, {
    databaseUrl: stack.databaseUrl && siblingDatabaseUrl(stack.databaseUrl, 'reputation'),
    ephemeral: true,
    port,
    routerSecret: stack.routerSecret,
    logger: createLogger(),
    bus: stack.bus,
    peerUrl: (peer) => stack.subgraphs[peer as keyof typeof stack.subgraphs].url,
  });
  await eventually(async () => expect(await ready()).toEqual({ status: 200, body: { status: 'ready' } }));
  const whole = await stack.client.op('Listing', { id: listingId });
  expect(whole.errors).toBeUndefined();
});
