import type { IncomingMessage } from 'node:http';
import { requestScopeOf } from '../server/access-log';
import { endClientAddress, plainAddress } from '../server/client-address';

/** The end client's address, as the audit log records it: only well-formed IP addresses, from the right source. */
const request = (headers: Record<string, string>, remoteAddress = '::ffff:192.0.2.10') => ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;

test('an address is kept only in its plain form; anything else is no address', () => {
  expect(plainAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
  expect(plainAddress(' 2001:DB8::1 ')).toBe('2001:db8::1');
  for (const bad of ['', 'localhost', '10.0.0.1, 10.0.0.2', '10.0.0.256', "1.2.3.4'; DROP TABLE audit_log;--", undefined]) expect(plainAddress(bad)).toBeUndefined();
});

test("the router takes the socket's peer, and X-Forwarded-For's last hop only when it trusts a proxy", () => {
  const forwarded = request({ 'x-forwarded-for': '198.51.100.1, 203.0.113.9' });
  expect(endClientAddress(forwarded, false)).toBe('192.0.2.10');
  expect(endClientAddress(forwarded, true)).toBe('203.0.113.9');
  // a proxy that wrote nothing usable: the socket's peer still
  expect(endClientAddress(request({ 'x-forwarded-for': 'garbage' }), true)).toBe('192.0.2.10');
});

test("a subgraph takes the router's x-client-address when it is an address, and nothing else", () => {
  expect(requestScopeOf(request({ 'x-client-address': '203.0.113.9', 'x-request-id': 'abc-1' }))).toEqual({ requestId: 'abc-1', clientAddress: '203.0.113.9' });
  expect(requestScopeOf(request({ 'x-client-address': '<script>' })).clientAddress).toBeUndefined();
  // not the socket's peer: in a subgraph that is the router
  expect(requestScopeOf(request({})).clientAddress).toBeUndefined();
});
