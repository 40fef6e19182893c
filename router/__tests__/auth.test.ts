import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT, type KeyLike } from 'jose';
import { TokenVerifier } from '../auth';

/** Two issuers, each publishing a JWKS over real HTTP: the marketplace's own and an external OIDC provider. */
const own = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const oidc = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let server: Server;
let base: string;

beforeAll(async () => {
  const jwks = {
    '/own': { keys: [{ ...(await exportJWK(own.publicKey)), kid: 'own', alg: 'ES256' }] },
    '/oidc': { keys: [{ ...(await exportJWK(oidc.publicKey)), kid: 'oidc', alg: 'RS256' }] },
  };
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks[req.url as keyof typeof jwks] ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const verifier = () =>
  new TokenVerifier([
    { jwksUrl: `${base}/own`, issuer: 'marketplace-accounts', audience: 'marketplace' },
    { jwksUrl: `${base}/oidc`, issuer: 'https://id.example.com', audience: 'marketplace-api' },
  ]);

function token(key: KeyLike, alg: string, kid: string, claims: Record<string, unknown>, { iss, aud, exp = '5m' }: { iss: string; aud: string; exp?: string }) {
  return new SignJWT(claims).setProtectedHeader({ alg, kid }).setIssuer(iss).setAudience(aud).setIssuedAt().setExpirationTime(exp).sign(key);
}

test('accepts the marketplace token and reads its viewer', async () => {
  const jwt = await token(own.privateKey, 'ES256', 'own', { sub: 'u1', roles: ['buyer', 'seller'], scope: 'buyer seller', seller: { id: 's1', currency: 'USD' } }, { iss: 'marketplace-accounts', aud: 'marketplace' });
  expect(await verifier().viewerOf(`Bearer ${jwt}`)).toEqual({
    userId: 'u1',
    roles: ['buyer', 'seller'],
    scopes: ['buyer', 'seller'],
    seller: { id: 's1', currency: 'USD' },
  });
});

test('accepts an external OIDC token as a second source', async () => {
  const jwt = await token(oidc.privateKey, 'RS256', 'oidc', { sub: 'oidc-user', scope: 'buyer' }, { iss: 'https://id.example.com', aud: 'marketplace-api' });
  expect(await verifier().viewerOf(`Bearer ${jwt}`)).toEqual({ userId: 'oidc-user', roles: [], scopes: ['buyer'] });
});

test('no header is an anonymous viewer', async () => {
  expect(await verifier().viewerOf(undefined)).toBeNull();
});

test.each([
  ['expired', () => token(own.privateKey, 'ES256', 'own', { sub: 'u1' }, { iss: 'marketplace-accounts', aud: 'marketplace', exp: '-1m' }), 'The token has expired'],
  ['signed by a stranger', () => token(stranger.privateKey, 'ES256', 'own', { sub: 'u1' }, { iss: 'marketplace-accounts', aud: 'marketplace' }), 'The token is not valid'],
  ['for another audience', () => token(own.privateKey, 'ES256', 'own', { sub: 'u1' }, { iss: 'marketplace-accounts', aud: 'elsewhere' }), 'The token is not valid'],
  ['from an unknown issuer', () => token(own.privateKey, 'ES256', 'own', { sub: 'u1' }, { iss: 'https://evil.example.com', aud: 'marketplace' }), 'The token was issued by an unknown issuer'],
  ['without a subject', () => token(own.privateKey, 'ES256', 'own', {}, { iss: 'marketplace-accounts', aud: 'marketplace' }), 'The token names no subject'],
])('refuses a token %s with UNAUTHENTICATED and 401', async (_case, make, message) => {
  const jwt = await make();
  await expect(verifier().viewerOf(`Bearer ${jwt}`)).rejects.toMatchObject({
    message,
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
});

test('refuses a header that is not a bearer token', async () => {
  await expect(verifier().viewerOf('Basic dXNlcjpwYXNz')).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
});
