import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Who is calling, as the router verified it. Subgraphs trust a viewer only when the router signed it.
 */
export interface Viewer {
  userId: string;
  roles: string[];
  /** Present once the user has become a seller. */
  seller?: { id: string; currency: string };
  scopes: string[];
  /** The session the token was issued for (accounts ends sessions; a request knows which one it is). */
  sessionId?: string;
  /** The user signed in with a second factor (operators must). */
  twoFactor?: boolean;
}

export const VIEWER_HEADER = 'x-viewer';
export const TIMESTAMP_HEADER = 'x-viewer-timestamp';
export const SIGNATURE_HEADER = 'x-viewer-signature';

/**
 * How old a signed request may be: room for clock skew between hosts and no more. Within it a captured
 * signature is still only good for the very request it was made for (see mac).
 */
export const MAX_AGE_MS = 30 * 1000;

/**
 * The signature binds the viewer to one request: its timestamp and the exact bytes it asks with (an
 * HTTP body, or a subscription's document and variables), so that headers captured from one call
 * cannot carry that viewer into another operation.
 */
function mac(secret: string, timestamp: string, viewer: string, request: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}\n${viewer}\n`).update(request).digest();
}

export const encodeViewer = (viewer: Viewer | null): string => (viewer ? Buffer.from(JSON.stringify(viewer)).toString('base64url') : '');

/** Signs an already encoded viewer (the router encodes it before it knows the body) for one request. */
export function signEncodedViewer(encoded: string, secret: string, request: string, now = Date.now()): Record<string, string> {
  const timestamp = String(now);
  return {
    [VIEWER_HEADER]: encoded,
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: mac(secret, timestamp, encoded, request).toString('base64url'),
  };
}

/** Headers for one subgraph request, `request` being the body sent; an anonymous caller is signed too. */
export function signViewer(viewer: Viewer | null, secret: string, request: string, now = Date.now()): Record<string, string> {
  return signEncodedViewer(encodeViewer(viewer), secret, request, now);
}

/** What a subscription's signature covers: its document, operation name and variables, as sent. */
export function subscriptionRequest(payload: { query?: unknown; operationName?: unknown; variables?: unknown }): string {
  return JSON.stringify([payload.query ?? null, payload.operationName ?? null, payload.variables ?? null]);
}

/** A WebSocket connection's parameters ask for nothing themselves: each subscription is signed on its own. */
export const CONNECTION_REQUEST = 'graphql-ws connection';

export type SignedViewer = { ok: true; viewer: Viewer | null } | { ok: false; reason: string };

type HeaderBag = Record<string, string | string[] | undefined>;
const header = (headers: HeaderBag, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function verifySignedViewer(headers: HeaderBag, secret: string, request: string, now = Date.now()): SignedViewer {
  const encoded = header(headers, VIEWER_HEADER) ?? '';
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  if (!timestamp || !signature) return { ok: false, reason: 'request is not signed by the router' };
  const age = now - Number(timestamp);
  if (!Number.isFinite(age) || Math.abs(age) > MAX_AGE_MS) return { ok: false, reason: 'signature expired' };
  const expected = mac(secret, timestamp, encoded, request);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature does not match' };
  }
  if (encoded === '') return { ok: true, viewer: null };
  try {
    return { ok: true, viewer: JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Viewer };
  } catch {
    return { ok: false, reason: 'viewer is not readable' };
  }
}
