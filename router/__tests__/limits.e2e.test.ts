import { createLogger } from '../../lib/logger';
import { routerSocket } from '../../lib/testing/live';
import { eventually } from '../../lib/testing/eventually';
import { signUp } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';
import { startRouter, type RunningRouter } from '../server';

/**
 * Hostile documents, refused while they are validated (before any plan or subgraph call), and the
 * router's other guards: per-user rate limits, CSRF prevention, introspection off in production.
 */
let stack: TestStack;
const routers: RunningRouter[] = [];
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  for (const router of routers) await router.stop();
  await stack?.stop();
});

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function post(body: unknown, headers: Record<string, string> = {}, url = stack.routerUrl): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const nested = (levels: number, leaf: string) => {
  let selection = leaf;
  for (let i = 0; i < levels; i++) selection = `seller { listings { edges { node { ${selection} } } } }`;
  return selection;
};

const hostile: [string, string, RegExp][] = [
  ['too deep', `{ listings { edges { node { ${nested(2, 'title')} } } } }`, /too deep/],
  ['an alias flood', `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: categories { slug }`).join(' ')} }`, /Too many aliases/],
  ['pages of pages', '{ listings(first: 100) { edges { node { seller { listings(first: 100) { edges { node { title price { formatted } } } } } } } } }', /costs too much/],
  ['a directive flood', `{ ${Array.from({ length: 51 }, () => '__typename @include(if: true)').join(' ')} }`, /Too many directives/],
  ['too many tokens', `{ ${'__typename '.repeat(5001)}}`, /tokens/],
  [
    'a fragment bomb',
    `{ ...F20 } fragment F0 on Query { categories { slug } } ${Array.from({ length: 20 }, (_, i) => `fragment F${i + 1} on Query { a${i}: categories { slug } ...F${i} ...F${i} }`).join(' ')}`,
    /costs too much/,
  ],
];

describe('hostile documents are refused with BAD_USER_INPUT before anything runs', () => {
  test.each(hostile)('%s', async (_name, query, message) => {
    const answer = await post({ query });
    expect(answer.status).toBe(400);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors?.map((e) => e.extensions?.code)).toContain('BAD_USER_INPUT');
    expect(answer.body.errors?.map((e) => e.message).join(' ')).toMatch(message);
  });

  test('a batch of more operations than allowed', async () => {
    const answer = await post(Array.from({ length: 11 }, () => ({ query: '{ __typename }' })));
    expect([answer.status, answer.body.errors?.map((e) => e.extensions?.code)]).toEqual([400, ['BAD_USER_INPUT']]);
    // within the limit, a batch runs
    const allowed = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 3 }, () => ({ query: '{ __typename }' }))),
    });
    expect(await allowed.json()).toEqual(Array.from({ length: 3 }, () => ({ data: { __typename: 'Query' } })));
  });

  test('a too deep subscription over WebSocket', async () => {
    const buyer = await signUp(stack.client);
    const client = routerSocket(stack.routerUrl, buyer.client.token);
    const errors: unknown[] = [];
    const deep = client.subscribe(
      { query: `subscription { orderStatusChanged { order { ${nested(2, 'title')} } } }` },
      { next: () => undefined, error: (error) => errors.push(error), complete: () => undefined },
    );
    await eventually(async () => expect(JSON.stringify(errors)).toMatch(/too deep/));
    deep();
    await client.dispose();
  });
});

describe('guards', () => {
  test('a user over the rate is RATE_LIMITED, with a retry-after header', async () => {
    const router = await startRouter({ ...stack.routerConfig, port: 0, quotas: { partner: { perMinute: 100 }, user: { perMinute: 2 }, anonymous: { perMinute: 100 } } }, createLogger());
    routers.push(router);
    const user = await signUp(stack.client);
    const headers = { authorization: `Bearer ${user.client.token}` };
    for (let i = 0; i < 2; i++) expect((await post({ query: '{ __typename }' }, headers, router.url)).status).toBe(200);
    const response = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await response.json()) as Answer['body']).errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    // another user has a bucket of their own
    const other = await signUp(stack.client);
    expect((await post({ query: '{ __typename }' }, { authorization: `Bearer ${other.client.token}` }, router.url)).status).toBe(200);
  });

  test('CSRF prevention: a simple request a browser would send cross-site is refused', async () => {
    const plain = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: 'mutation { __typename }' }) });
    expect(plain.status).toBe(400);
    const simpleGet = await fetch(`${stack.routerUrl}?query=${encodeURIComponent('{ __typename }')}`);
    expect(simpleGet.status).toBe(400);
    // the same GET from a client that says so is served
    const preflighted = await fetch(`${stack.routerUrl}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await preflighted.json()).toEqual({ data: { __typename: 'Query' } });
  });

  test('an operationName the document does not hold is the client\'s mistake', async () => {
    const answer = await post({ query: 'query A { __typename } query B { __typename }', operationName: 'C' });
    expect([answer.status, answer.body.errors?.map((e) => e.extensions?.code)]).toEqual([400, ['BAD_USER_INPUT']]);
    expect(answer.body.errors?.[0].message).toMatch(/Unknown operation named "C"/);
    const unnamed = await post({ query: 'query A { __typename } query B { __typename }' });
    expect([unnamed.status, unnamed.body.errors?.map((e) => e.extensions?.code)]).toEqual([400, ['BAD_USER_INPUT']]);
  });

  test('introspection is off when the router is configured for production', async () => {
    const router = await startRouter({ ...stack.routerConfig, port: 0, introspection: false }, createLogger());
    routers.push(router);
    const answer = await post({ query: '{ __schema { types { name } } }' }, {}, router.url);
    expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(answer.body.errors?.[0].message).toMatch(/introspection/i);
  });
});
