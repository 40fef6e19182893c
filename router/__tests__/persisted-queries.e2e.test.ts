import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { operation } from '../../lib/client/operations';
import { createLogger } from '../../lib/logger';
import { FIRST_PARTY_MANIFEST_PATH } from '../../schema/compose';
import { manifestFromDocuments, parseManifest, type PersistedQueryManifest } from '../partners/manifest';
import { openPartnerStore, type PartnerStore } from '../partners/store';
import { startRouter, type RunningRouter } from '../server';
import { newListing, newSeller } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Automatic persisted queries with Apollo Client as the client, partners' safelists by API key, and
 * the first-party safelist when the router requires ids.
 */
let stack: TestStack;
let partners: PartnerStore;
const routers: RunningRouter[] = [];
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  stack = await startTestStack();
  partners = openPartnerStore(stack.routerConfig);
  const seller = await newSeller(stack.client, { shopName: 'Persisted Pottery' });
  await newListing(seller.client, { title: 'Persisted teapot', category: 'home-garden' });
});
afterAll(async () => {
  for (const router of routers) await router.stop();
  await partners?.close();
  await stack?.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string; retryAfter?: number } }[] };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

async function get(url: string, params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const response = await fetch(`${url}?${search}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

const byHash = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const codes = (answer: Answer) => answer.body.errors?.map((e) => e.extensions?.code);
const search = 'query PersistedSearch { listings(query: "persisted") { edges { node { title } } } }';

describe('automatic persisted queries', () => {
  test('Apollo Client registers a query once, then sends only its hash, over POST and over GET', async () => {
    const sent: { method: string; hasQuery: boolean }[] = [];
    const recording = (useGET: boolean) =>
      new PersistedQueryLink({ sha256: async (text: string) => sha256(text), useGETForHashedQueries: useGET }).concat(
        new HttpLink({
          uri: stack.routerUrl,
          fetch: async (input, init) => {
            const url = String(input);
            const body = init?.body ? (JSON.parse(String(init.body)) as { query?: string }) : undefined;
            sent.push({ method: init?.method ?? 'GET', hasQuery: url.includes('query=') || Boolean(body?.query) });
            return fetch(input, init);
          },
        }),
      );
    for (const useGET of [false, true]) {
      const query = gql(`query PersistedSearch${useGET ? 'ByGet' : ''} { listings(query: "persisted") { edges { node { title } } } }`);
      sent.length = 0;
      const first = new ApolloClient({ link: ApolloLink.from([recording(useGET)]), cache: new InMemoryCache() });
      const { data } = await first.query<{ listings: { edges: { node: { title: string } }[] } }>({ query });
      expect(data?.listings.edges.map((e) => e.node.title)).toEqual(['Persisted teapot']);
      // the hash alone first, refused as unknown; then hash and query, which registers it
      expect(sent).toEqual([
        { method: useGET ? 'GET' : 'POST', hasQuery: false },
        { method: 'POST', hasQuery: true },
      ]);

      sent.length = 0;
      const second = new ApolloClient({ link: recording(useGET), cache: new InMemoryCache() });
      const again = await second.query<{ listings: { edges: { node: { title: string } }[] } }>({ query });
      expect(again.data?.listings.edges).toHaveLength(1);
      expect(sent).toEqual([{ method: useGET ? 'GET' : 'POST', hasQuery: false }]);
    }
  });

  test('an unknown hash is PERSISTED_QUERY_NOT_FOUND and a hash that does not match its query is refused', async () => {
    const unknown = await post(stack.routerUrl, { extensions: byHash(sha256('query Nope { __typename }')) });
    expect(codes(unknown)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const mismatched = await post(stack.routerUrl, { query: search, extensions: byHash(sha256('something else')) });
    expect(mismatched.status).toBe(400);
    expect(codes(mismatched)).toEqual(['BAD_USER_INPUT']);
    // and nothing was registered under that hash
    expect(codes(await post(stack.routerUrl, { extensions: byHash(sha256('something else')) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });
});

describe('partners run their manifest by id, and nothing else', () => {
  const manifest: PersistedQueryManifest = manifestFromDocuments([readFileSync('schema/operations/listings.graphql', 'utf8')]);
  const idOf = (name: string) => manifest.operations.find((o) => o.name === name)!.id;
  let apiKey: string;
  beforeAll(async () => {
    const added = await partners.add({ name: 'Price Compare Ltd', manifest, rateLimitPerMinute: 1000 });
    apiKey = added.apiKey;
  });

  test('an operation of its manifest runs by hash, over POST and GET', async () => {
    const variables = { query: 'persisted', first: 5 };
    const viaPost = await post(stack.routerUrl, { variables, extensions: byHash(idOf('SearchListings')) }, { 'x-api-key': apiKey });
    expect(viaPost.body.errors).toBeUndefined();
    expect(JSON.stringify(viaPost.body.data)).toContain('Persisted teapot');
    const viaGet = await get(stack.routerUrl, { variables, extensions: byHash(idOf('SearchListings')) }, { 'x-api-key': apiKey });
    expect(viaGet.body).toEqual(viaPost.body);
  });

  test('anything else is PERSISTED_QUERY_NOT_IN_LIST: another hash, an APQ-registered hash, a free-form query', async () => {
    const other = sha256(operation('Me'));
    const notListed = await post(stack.routerUrl, { extensions: byHash(other) }, { 'x-api-key': apiKey });
    expect([notListed.status, codes(notListed)]).toEqual([400, ['PERSISTED_QUERY_NOT_IN_LIST']]);

    // registered by a first-party client through APQ: still not the partner's to run
    await post(stack.routerUrl, { query: search, extensions: byHash(sha256(search)) });
    const registered = await post(stack.routerUrl, { extensions: byHash(sha256(search)) }, { 'x-api-key': apiKey });
    expect(codes(registered)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);

    const freeForm = await post(stack.routerUrl, { query: search }, { 'x-api-key': apiKey });
    expect(codes(freeForm)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    const batch = await post(stack.routerUrl, [{ extensions: byHash(idOf('Categories')) }, { query: search }], { 'x-api-key': apiKey });
    expect(codes(batch)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });

  test('an unknown key is UNAUTHENTICATED, and so is a revoked one', async () => {
    const unknown = await post(stack.routerUrl, { extensions: byHash(idOf('Categories')) }, { 'x-api-key': 'mk_not-a-key' });
    expect([unknown.status, codes(unknown)]).toEqual([401, ['UNAUTHENTICATED']]);

    const { apiKey: doomed, partner } = await partners.add({ name: 'Short Lived', manifest });
    expect(codes(await post(stack.routerUrl, { extensions: byHash(idOf('Categories')) }, { 'x-api-key': doomed }))).toBeUndefined();
    await partners.revoke(partner.id);
    const router = await startRouter({ ...stack.routerConfig, port: 0 }, createLogger());
    routers.push(router);
    const revoked = await post(router.url, { extensions: byHash(idOf('Categories')) }, { 'x-api-key': doomed });
    expect([revoked.status, codes(revoked)]).toEqual([401, ['UNAUTHENTICATED']]);
  });

  test('a partner over its rate is RATE_LIMITED with a retry-after hint, and other partners are not', async () => {
    const { apiKey: slow } = await partners.add({ name: 'Slow Partner', manifest, rateLimitPerMinute: 3 });
    const call = (key: string) => post(stack.routerUrl, { extensions: byHash(idOf('Categories')) }, { 'x-api-key': key });
    for (let i = 0; i < 3; i++) expect(codes(await call(slow))).toBeUndefined();
    const refused = await call(slow);
    expect(refused.status).toBe(429);
    expect(codes(refused)).toEqual(['RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body.errors?.[0].extensions?.retryAfter).toBe(Number(refused.headers.get('retry-after')));
    expect(codes(await call(apiKey))).toBeUndefined();
  });
});

describe('a router that requires ids', () => {
  test('runs first-party operations by id and refuses free-form queries', async () => {
    const router = await startRouter({ ...stack.routerConfig, port: 0, requirePersistedQueries: true }, createLogger());
    routers.push(router);
    const firstParty = parseManifest(JSON.parse(readFileSync(FIRST_PARTY_MANIFEST_PATH, 'utf8')));
    const categories = firstParty.operations.find((o) => o.name === 'Categories')!;
    const byId = await post(router.url, { extensions: byHash(categories.id) });
    expect(byId.body.errors).toBeUndefined();
    expect(byId.body.data).toHaveProperty('categories');
    const freeForm = await post(router.url, { query: categories.body });
    expect(codes(freeForm)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    const apq = await post(router.url, { query: search, extensions: byHash(sha256(search)) });
    expect(codes(apq)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });
});

describe('one configuration: the whole stack in one process reads the router settings README.md documents', () => {
  test('REQUIRE_PERSISTED_QUERIES and the operation limits hold under npm start as they do for a router of its own', async () => {
    const strict = await startTestStack({ env: { ...process.env, REQUIRE_PERSISTED_QUERIES: 'true', MAX_ALIASES: '1' } });
    try {
      expect(strict.routerConfig).toMatchObject({ requirePersistedQueries: true, limits: { maxAliases: 1 } });
      const categories = parseManifest(JSON.parse(readFileSync(FIRST_PARTY_MANIFEST_PATH, 'utf8'))).operations.find((o) => o.name === 'Categories')!;
      const byId = await post(strict.routerUrl, { extensions: byHash(categories.id) });
      expect(byId.body.errors).toBeUndefined();
      expect(byId.body.data).toHaveProperty('categories');
      expect(codes(await post(strict.routerUrl, { query: categories.body }))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    } finally {
      await strict.stop();
    }
  });
});
