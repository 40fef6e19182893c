import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InternalClient } from '../server/internal-client';

/** Calls between subgraphs: a timeout, and a circuit that opens on a failing peer and closes when it heals. */
let server: Server;
let hits = 0;
let behaviour: 'healthy' | 'failing' | 'not found' | 'silent' = 'healthy';
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    req.resume();
    if (behaviour === 'silent') return; // never answers
    const body =
      behaviour === 'healthy'
        ? { data: { ok: true } }
        : behaviour === 'not found'
          ? { errors: [{ message: 'Listing not found', extensions: { code: 'NOT_FOUND' } }] }
          : { errors: [{ message: 'database is away', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = (timeoutMs = 1000) => new InternalClient('orders', () => url, 's'.repeat(32), { timeoutMs, resetMs: 300 });
const codeOf = (call: Promise<unknown>) =>
  call.then(
    () => 'ok',
    (error: { extensions?: { code?: string; service?: string }; message: string }) => error.extensions?.code ?? error.message,
  );

test("a peer's own errors keep their codes and never open its circuit", async () => {
  behaviour = 'not found';
  const peer = client();
  for (let i = 0; i < 8; i++) expect(await codeOf(peer.call('listings', '{ x }', {}))).toBe('NOT_FOUND');
  expect(peer.isOpen('listings')).toBe(false);
  peer.close();
});

test('a failing peer opens its circuit: later calls fail at once, without reaching it, until a trial succeeds', async () => {
  behaviour = 'failing';
  const peer = client();
  for (let i = 0; i < 5; i++) expect(await codeOf(peer.call('listings', '{ x }', {}))).toBe('listings failed: database is away');
  expect(peer.isOpen('listings')).toBe(true);
  const before = hits;
  const refused = await peer.call('listings', '{ x }', {}).catch((error: unknown) => error);
  expect(refused).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', service: 'listings' } });
  expect(hits).toBe(before);

  behaviour = 'healthy';
  await new Promise((resolve) => setTimeout(resolve, 350));
  expect(await codeOf(peer.call('listings', '{ x }', {}))).toBe('ok');
  expect(peer.isOpen('listings')).toBe(false);
  peer.close();
});

test('a peer that does not answer in time, or is not there, is SERVICE_UNAVAILABLE', async () => {
  behaviour = 'silent';
  const peer = client(200);
  const started = Date.now();
  expect(await codeOf(peer.call('listings', '{ x }', {}))).toBe('SERVICE_UNAVAILABLE');
  expect(Date.now() - started).toBeLessThan(2000);
  const gone = new InternalClient('orders', () => 'http://127.0.0.1:1/graphql', 's'.repeat(32));
  expect(await codeOf(gone.call('payments', '{ x }', {}))).toBe('SERVICE_UNAVAILABLE');
  peer.close();
  gone.close();
});
