import { MAX_AGE_MS, signViewer, subscriptionRequest, verifySignedViewer, type Viewer } from '../auth/viewer';

const secret = 'x'.repeat(32);
const viewer: Viewer = { userId: 'u1', roles: ['buyer'], scopes: ['buyer'] };
const body = JSON.stringify({ query: '{ me { id } }' });

test('a signed viewer verifies for its request, an anonymous one too', () => {
  expect(verifySignedViewer(signViewer(viewer, secret, body), secret, body)).toEqual({ ok: true, viewer });
  expect(verifySignedViewer(signViewer(null, secret, body), secret, body)).toEqual({ ok: true, viewer: null });
});

test('changing the viewer, the secret or the time breaks the signature', () => {
  const headers = signViewer(viewer, secret, body);
  const promoted = { ...headers, 'x-viewer': Buffer.from(JSON.stringify({ ...viewer, scopes: ['seller'] })).toString('base64url') };
  expect(verifySignedViewer(promoted, secret, body).ok).toBe(false);
  expect(verifySignedViewer(headers, 'y'.repeat(32), body).ok).toBe(false);
  expect(verifySignedViewer({ ...headers, 'x-viewer-timestamp': String(Date.now() + 1) }, secret, body).ok).toBe(false);
  expect(verifySignedViewer({}, secret, body)).toEqual({ ok: false, reason: 'request is not signed by the router' });
});

test('a signature is good for its own request only: another body, another subscription, are refused', () => {
  const headers = signViewer(viewer, secret, body);
  const other = JSON.stringify({ query: 'mutation { cancelOrder(id: "o1") { id } }' });
  expect(verifySignedViewer(headers, secret, other)).toEqual({ ok: false, reason: 'signature does not match' });
  const watching = { query: 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }', variables: { id: 'o1' } };
  const signed = signViewer(viewer, secret, subscriptionRequest(watching));
  expect(verifySignedViewer(signed, secret, subscriptionRequest(watching)).ok).toBe(true);
  expect(verifySignedViewer(signed, secret, subscriptionRequest({ ...watching, variables: { id: 'o2' } })).ok).toBe(false);
});

test('a signature lives for seconds, not minutes', () => {
  expect(MAX_AGE_MS).toBeLessThanOrEqual(60_000);
  const old = signViewer(viewer, secret, body, Date.now() - MAX_AGE_MS - 1000);
  expect(verifySignedViewer(old, secret, body)).toEqual({ ok: false, reason: 'signature expired' });
  const recent = signViewer(viewer, secret, body, Date.now() - MAX_AGE_MS + 5000);
  expect(verifySignedViewer(recent, secret, body).ok).toBe(true);
});
