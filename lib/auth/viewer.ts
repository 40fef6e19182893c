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
}

export const VIEWER_HEADER = 'x-viewer';
export const TIMESTAMP_HEADER = 'x-viewer-timestamp';
export const SIGNATURE_HEADER = 'x-viewer-signature';

/** How old a signed request may be: enough for clock skew, short enough to make replays stale. */
const MAX_AGE_MS = 5 * 60 * 1000;

function mac(secret: string, timestamp: string, viewer: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}\n${viewer}`).digest();
}

/** Headers the router adds to every subgraph request; an anonymous caller is signed too. */
export function signViewer(viewer: Viewer | null, secret: string, now = Date.now()): Record<string, string> {
  const encoded = viewer ? Buffer.from(JSON.stringify(viewer)).toString('base64url') : '';
  const timestamp = String(now);
  return {
    [VIEWER_HEADER]: encoded,
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: mac(secret, timestamp, encoded).toString('base64url'),
  };
}

export type SignedViewer = { ok: true; viewer: Viewer | null } | { ok: false; reason: string };

type HeaderBag = Record<string, string | string[] | undefined>;
const header = (headers: HeaderBag, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function verifySignedViewer(headers: HeaderBag, secret: string, now = Date.now()): SignedViewer {
  const encoded = header(headers, VIEWER_HEADER) ?? '';
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  if (!timestamp || !signature) return { ok: false, reason: 'request is not signed by the router' };
  const age = now - Number(timestamp);
  if (!Number.isFinite(age) || Math.abs(age) > MAX_AGE_MS) return { ok: false, reason: 'signature expired' };
  const expected = mac(secret, timestamp, encoded);
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
