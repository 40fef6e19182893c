import type { Fetcher } from '@apollo/utils.fetcher';
import { VIEWER_HEADER } from '../../lib/auth/viewer';
import { ServiceUnavailable } from '../../lib/errors';
import { EventFetches } from '../subscriptions/event-fetches';

/**
 * The batching of subscription events' entity fetches, against a subgraph client that answers
 * `_entities` and records what it was sent (the HTTP path itself is covered end to end in
 * subscription-events.e2e).
 */
const SHOP_NAME = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Seller{shopName}}}';
const SHOP_ID = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Seller{id}}}';

/** The viewer as the header carries it (lib/auth/viewer.ts's encoding): empty for nobody. */
const decodeViewer = (encoded: string): unknown => (encoded ? JSON.parse(Buffer.from(encoded, 'base64url').toString()) : null);

function recordingSubgraph(status = 200) {
  const calls: { viewer: unknown; ids: string[] }[] = [];
  const fetcher = (async (_url: string, init?: { body?: unknown; headers?: Record<string, string> }) => {
    const { variables } = JSON.parse(String(init?.body)) as { variables: { representations: { id: string }[] } };
    const { representations } = variables;
    calls.push({ viewer: decodeViewer(init?.headers?.[VIEWER_HEADER] ?? ''), ids: representations.map((r) => r.id) });
    const body = {
      data: { _entities: representations.map((r) => (r.id === 'missing' ? null : { shopName: `Shop ${r.id}` })) },
      errors: representations.flatMap((r, i) => (r.id === 'missing' ? [{ message: 'gone', path: ['_entities', i, 'shopName'] }] : [])),
    };
    return { status, ok: status < 300, text: async () => JSON.stringify(body) };
  }) as unknown as Fetcher;
  const fetches = new EventFetches({ senderOf: () => fetcher, urlOf: () => 'http://listings/graphql', isPublic: (query) => query === SHOP_NAME });
  return { calls, fetches };
}

const viewer = (userId: string) => ({ userId, roles: [], scopes: [] }) as never;
const ask = (fetches: EventFetches, ids: string[], as = 'u1', query = SHOP_NAME) =>
  fetches.forViewer(viewer(as))('listings', { query, variables: { representations: ids.map((id) => ({ __typename: 'Seller', id })) } });

test('simultaneous fetches become one request, each representation asked once, each fetch answered with its own entities', async () => {
  const { calls, fetches } = recordingSubgraph();
  const answers = await Promise.all([ask(fetches, ['a', 'b'], 'u1', SHOP_ID), ask(fetches, ['b'], 'u1', SHOP_ID), ask(fetches, ['c', 'a'], 'u1', SHOP_ID)]);
  expect(calls.map((c) => c.ids)).toEqual([['a', 'b', 'c']]);
  expect(answers.map((a) => a.data)).toEqual([
    { _entities: [{ shopName: 'Shop a' }, { shopName: 'Shop b' }] },
    { _entities: [{ shopName: 'Shop b' }] },
    { _entities: [{ shopName: 'Shop c' }, { shopName: 'Shop a' }] },
  ]);
});

test("each fetch gets its own entities' errors, renumbered", async () => {
  const { fetches } = recordingSubgraph();
  const [first, second] = await Promise.all([ask(fetches, ['a']), ask(fetches, ['b', 'missing'])]);
  expect(first.errors).toBeUndefined();
  expect(second.errors).toEqual([{ message: 'gone', path: ['_entities', 1, 'shopName'] }]);
});

test('fetches of public fields merge across viewers and go out anonymously; others stay per viewer and per document', async () => {
  const { calls, fetches } = recordingSubgraph();
  await Promise.all([ask(fetches, ['a'], 'u1'), ask(fetches, ['a'], 'u2')]);
  expect(calls).toEqual([{ viewer: null, ids: ['a'] }]);
  calls.length = 0;
  await Promise.all([ask(fetches, ['a'], 'u1', SHOP_ID), ask(fetches, ['a'], 'u2', SHOP_ID), ask(fetches, ['b'], 'u1', SHOP_ID), ask(fetches, ['a'], 'u1')]);
  expect(calls).toHaveLength(3);
  expect(calls.map((c) => (c.viewer as { userId?: string } | null)?.userId ?? null).sort()).toEqual([null, 'u1', 'u2'].sort());
});

test('a subgraph answering without a 2xx GraphQL body fails every waiting fetch as unavailable', async () => {
  const { fetches } = recordingSubgraph(502);
  const results = await Promise.allSettled([ask(fetches, ['a']), ask(fetches, ['b'])]);
  for (const result of results) expect(result.status === 'rejected' && result.reason).toBeInstanceOf(ServiceUnavailable);
});
