import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logger';
import type { RouteHandler } from '../../lib/server/subgraph-server';
import { isKind, MANDATORY, type NotificationKind } from './kinds';
import type { Preferences } from './preferences';

/** Where unsubscribe links lead: the notifications subgraph, and (forwarded) the router. */
export const UNSUBSCRIBE_PATH = '/notifications/unsubscribe';

/**
 * Unsubscribe links that work without signing in, as mail clients and RFC 8058 need: the link names
 * a user and a kind and is signed (HMAC-SHA256), so that nobody can unsubscribe someone else. Opening
 * it shows a button; the button, or a mail client's one-click POST, turns that kind's email off.
 */
export class UnsubscribeLinks {
  constructor(
    private readonly key: string,
    private readonly publicUrl: () => string,
  ) {}

  /** The link for a user and kind; null for kinds that cannot be turned off. */
  linkFor(userId: string, kind: NotificationKind): string | null {
    if (MANDATORY.has(kind)) return null;
    const url = new URL(UNSUBSCRIBE_PATH, this.publicUrl());
    url.searchParams.set('token', this.sign(userId, kind));
    return url.toString();
  }

  /** Who and what a token unsubscribes, if its signature holds. */
  read(token: string): { userId: string; kind: NotificationKind } | null {
    const [payload, signature] = token.split('.');
    if (!payload || !signature) return null;
    const expected = this.mac(payload);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const [userId, kind] = Buffer.from(payload, 'base64url').toString('utf8').split(' ');
    return userId && kind && isKind(kind) ? { userId, kind } : null;
  }

  route(preferences: Preferences, logger: Logger): RouteHandler {
    return async (req, res) => {
      const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
      const target = this.read(token);
      if (!target) return page(res, 404, 'This unsubscribe link is not valid.');
      if (req.method === 'GET' || req.method === 'HEAD') {
        // a GET changes nothing: mail scanners open links
        return page(res, 200, `Stop emails about ${describe(target.kind)}?`, `<form method="post"><button type="submit">Unsubscribe</button></form>`);
      }
      if (req.method !== 'POST') return page(res, 405, 'Use the button on this page.', '', { allow: 'GET, POST' });
      req.resume();
      await preferences.unsubscribe(target.userId, target.kind);
      logger.info('unsubscribed by link', { kind: target.kind });
      return page(res, 200, `You will no longer receive emails about ${describe(target.kind)}.`, '<p>You can turn them back on in your notification preferences.</p>');
    };
  }

  private sign(userId: string, kind: NotificationKind): string {
    const payload = Buffer.from(`${userId} ${kind}`).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(`unsubscribe\n${payload}`).digest();
  }
}

const describe = (kind: NotificationKind) => kind.toLowerCase().replace(/_/g, ' ');

function page(res: ServerResponse, status: number, heading: string, more = '', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(`<!doctype html><html><head><title>Notifications</title></head><body><h1>${heading}</h1>${more}</body></html>`);
}
