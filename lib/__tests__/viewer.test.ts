import { signViewer, verifySignedViewer, type Viewer } from '../auth/viewer';

const secret = 'x'.repeat(32);
const viewer: Viewer = { userId: 'u1', roles: ['buyer'], scopes: ['buyer'] };

test('a signed viewer verifies, an anonymous one too', () => {
  expect(verifySignedViewer(signViewer(viewer, secret), secret)).toEqual({ ok: true, viewer });
  expect(verifySignedViewer(signViewer(null, secret), secret)).toEqual({ ok: true, viewer: null });
});

test('changing the viewer, the secret or the time breaks the signature', () => {
  const headers = signViewer(viewer, secret);
  const promoted = { ...headers, 'x-viewer': Buffer.from(JSON.stringify({ ...viewer, scopes: ['seller'] })).toString('base64url') };
  expect(verifySignedViewer(promoted, secret).ok).toBe(false);
  expect(verifySignedViewer(headers, 'y'.repeat(32)).ok).toBe(false);
  expect(verifySignedViewer({ ...headers, 'x-viewer-timestamp': String(Date.now() + 1) }, secret).ok).toBe(false);
  expect(verifySignedViewer({}, secret)).toEqual({ ok: false, reason: 'request is not signed by the router' });
});

test('a signature older than five minutes is stale', () => {
  const old = signViewer(viewer, secret, Date.now() - 6 * 60 * 1000);
  expect(verifySignedViewer(old, secret)).toEqual({ ok: false, reason: 'signature expired' });
});
