import { readFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { operation } from '../../lib/client/operations';
import { createLogger } from '../../lib/logger';
import { eventually } from '../../lib/testing/eventually';
import { signUp, type TestUser } from '../../lib/testing/marketplace';
import { FIRST_PARTY_MANIFEST_PATH } from '../../schema/compose';
import { manifestFromDocuments, parseManifest } from '../partners/manifest';
import { openPartnerStore, type PartnerStore } from '../partners/store';
import { startRouter, type RunningRouter } from '../server';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * A subscription over WebSocket passes the same gate as a request over HTTP: partner keys (in
 * connectionParams), safelists, REQUIRE_PERSISTED_QUERIES, rate limits per subscribe, operation limits.
 */
let stack: TestStack;
let partners: PartnerStore;
let buyer: TestUser;
let token: string;
const routers: RunningRouter[] = [];
const sockets: Client[] = [];

const subscription = operation('OrderStatusChanged');
const firstParty = parseManifest(JSON.parse(readFileSync(FIRST_PARTY_MANIFEST_PATH, 'utf8')));
const subscriptionId = firstParty.operations.find((o) => o.name === 'OrderStatusChanged')!.id;

beforeAll(async () => {
  stack = await startTestStack();
  partners = openPartnerStore(stack.routerConfig);
  buyer = await signUp(stack.client);
  token = buyer.client.token!;
});
afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  for (const router of routers) await router.stop();
  await partners?.close();
  await stack?.stop();
});

function socketTo(url: string, connectionParams: Record<string, unknown>, closed?: (code: number) => void): Client {
  const socket = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    on: { closed: (event) => closed?.((event as { code: number }).code) },
  });
  sockets.push(socket);
  return socket;
}

/** The first thing a subscription hears: errors (their codes), or 'open' once the router holds it upstream. */
function firstWord(socket: Client, router: RunningRouter, payload: { query: string; extensions?: Record<string, unknown> }): Promise<unknown[] | 'open'> {
  const before = router.activeSubscriptions();
  return new Promise((resolve) => {
    const done = (word: unknown[] | 'open') => {
      clearInterval(opened);
      clearTimeout(giveUp);
      resolve(word);
    };
    const opened = setInterval(() => router.activeSubscriptions() > before && done('open'), 20);
    const giveUp = setTimeout(() => done(['nothing heard']), 5000);
    socket.subscribe(
      { ...payload, variables: {} },
      {
        next: ({ errors }) => errors && done(errors.map((error) => error.extensions?.code)),
        error: (error) => done(Array.isArray(error) ? error.map((e: { extensions?: { code?: string } }) => e.extensions?.code) : ['closed']),
        complete: () => done([]),
      },
    );
  });
}

const byId = (id: string) => ({ query: '', extensions: { persistedQuery: { version: 1, sha256Hash: id } } });

test('a partner key in connectionParams: unknown is refused at connect; the manifest is the safelist for each subscribe', async () => {
  const codes: number[] = [];
  const unknown = socketTo(stack.routerUrl, { 'x-api-key': 'not a key anyone was given' }, (code) => codes.push(code));
  expect(await firstWord(unknown, stack.router, { query: subscription })).toEqual(['closed']);
  expect(codes).toEqual([4403]);

  const { apiKey } = await partners.add({ name: 'Tracking Partner', manifest: manifestFromDocuments([readFileSync('schema/operations/orders.graphql', 'utf8')]) });
  const listed = manifestFromDocuments([readFileSync('schema/operations/orders.graphql', 'utf8')]).operations.find((o) => o.name === 'OrderStatusChanged')!;
  const partner = socketTo(stack.routerUrl, { 'x-api-key': apiKey, authorization: `Bearer ${token}` });
  expect(await firstWord(partner, stack.router, { query: subscription })).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  expect(await firstWord(partner, stack.router, byId(listed.id))).toBe('open');
});

test('REQUIRE_PERSISTED_QUERIES: free-form subscriptions are refused, the first-party ones run by id', async () => {
  const router = await startRouter({ ...stack.routerConfig, port: 0, requirePersistedQueries: true }, createLogger());
  routers.push(router);
  const socket = socketTo(router.url, { authorization: `Bearer ${token}` });
  expect(await firstWord(socket, router, { query: subscription })).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  expect(await firstWord(socket, router, byId(subscriptionId))).toBe('open');
});

test('every subscribe takes from the caller’s rate limit', async () => {
  const router = await startRouter({ ...stack.routerConfig, port: 0, quotas: { partner: { perMinute: 100 }, user: { perMinute: 2 }, anonymous: { perMinute: 100 } } }, createLogger());
  routers.push(router);
  const thrifty = (await signUp(stack.client)).client.token!;
  const socket = socketTo(router.url, { authorization: `Bearer ${thrifty}` });
  expect(await firstWord(socket, router, { query: subscription })).toBe('open');
  expect(await firstWord(socket, router, { query: subscription })).toBe('open');
  expect(await firstWord(socket, router, { query: subscription })).toEqual(['RATE_LIMITED']);
  // another connection of the same user draws on the same bucket
  expect(await firstWord(socketTo(router.url, { authorization: `Bearer ${thrifty}` }), router, { query: subscription })).toEqual(['RATE_LIMITED']);
});

test('the operation limits and the schema hold over WebSocket, refused as BAD_USER_INPUT', async () => {
  const router = await startRouter({ ...stack.routerConfig, port: 0, limits: { ...stack.routerConfig.limits!, maxAliases: 1 } }, createLogger());
  routers.push(router);
  const socket = socketTo(router.url, { authorization: `Bearer ${token}` });
  const aliased = 'subscription { changed: orderStatusChanged { when: at } }';
  expect(await firstWord(socket, router, { query: aliased })).toEqual(['BAD_USER_INPUT']);
  expect(await firstWord(socket, router, { query: 'subscription { noSuchField }' })).toEqual(['BAD_USER_INPUT']);
  expect(await firstWord(socket, router, { query: 'subscription {' })).toEqual(['BAD_USER_INPUT']);
  await eventually(async () => expect(router.activeSubscriptions()).toBe(0));
});
