import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { headerOf } from './http';

/** How the router tells subgraphs who the end client is (the audit log records it). */
export const CLIENT_ADDRESS_HEADER = 'x-client-address';

/** An IP address in its plain form (an IPv4 client of a dual-stack socket without its `::ffff:`), or undefined for anything else. */
export function plainAddress(value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const unmapped = /^::ffff:/i.test(text) && isIP(text.slice(7)) === 4 ? text.slice(7) : text;
  return isIP(unmapped) ? unmapped.toLowerCase() : undefined;
}

/**
 * Who is at the other end, as the router sees it: the socket's peer; behind a proxy it trusts
 * (TRUST_PROXY), the address that proxy appended to X-Forwarded-For (the last one: the entries before
 * it are whatever the client claimed, and anyone can claim anything).
 */
export function endClientAddress(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const hops = (headerOf(req, 'x-forwarded-for') ?? '').split(',');
    const fromProxy = plainAddress(hops[hops.length - 1]);
    if (fromProxy) return fromProxy;
  }
  return plainAddress(req.socket.remoteAddress);
}

/**
 * In a subgraph: the address the router forwarded. Subgraphs answer only requests the router signed,
 * so the header is as trusted as the viewer; its form is checked all the same.
 */
export const forwardedClientAddress = (req: IncomingMessage): string | undefined => plainAddress(headerOf(req, CLIENT_ADDRESS_HEADER));
