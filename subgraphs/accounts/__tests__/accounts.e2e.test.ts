import { signViewer } from '../../../lib/auth/viewer';
import { codes } from '../../../lib/client/graphql-client';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';

interface AuthResult {
  signUp: { token: string; user: { id: string; email: string; displayName: string } };
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const userCount = async () => Number((await stack.subgraphs.accounts.db.query('SELECT count(*) AS n FROM users'))[0].n);

async function signUp(email: string, password = 'correct horse battery') {
  return (await stack.client.ok<AuthResult>('SignUp', { input: { email, password } })).signUp;
}

describe('sign-up and log-in through the router', () => {
  test('a new account gets a token that the router accepts', async () => {
    const { token, user } = await signUp('Ada@Example.com');
    expect(user).toMatchObject({ email: 'ada@example.com', displayName: 'ada' });
    const me = await stack.client.as(token).ok<{ me: { id: string; email: string; seller: null } }>('Me');
    expect(me.me).toEqual({ id: user.id, email: 'ada@example.com', displayName: 'ada', seller: null });
  });

  test('Me without a token is null, not an error', async () => {
    const result = await stack.client.op('Me');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ me: null });
  });

  test.each([
    ['a duplicate email, in any case', 'ADA@example.com', 'long enough password', 'CONFLICT'],
    ['a password under 8 characters', 'short@example.com', 'short', 'BAD_USER_INPUT'],
    ['an email without a domain', 'nobody@', 'long enough password', 'BAD_USER_INPUT'],
  ])('%s is refused and creates nothing', async (_case, email, password, code) => {
    await signUp('ada@example.com').catch(() => undefined);
    const before = await userCount();
    const result = await stack.client.op('SignUp', { input: { email, password } });
    expect(codes(result)).toEqual([code]);
    expect(result.errors?.[0].message).toMatch(/\w/);
    expect(await userCount()).toBe(before);
  });

  test('a wrong password and an unknown email get the same answer', async () => {
    await signUp('grace@example.com');
    const wrong = await stack.client.op('LogIn', { input: { email: 'grace@example.com', password: 'not the password' } });
    const unknown = await stack.client.op('LogIn', { input: { email: 'nobody@example.com', password: 'not the password' } });
    expect(codes(wrong)).toEqual(['UNAUTHENTICATED']);
    expect(codes(unknown)).toEqual(['UNAUTHENTICATED']);
    expect(wrong.errors?.[0].message).toBe(unknown.errors?.[0].message);
    const ok = await stack.client.ok<{ logIn: { token: string; user: { email: string } } }>('LogIn', {
      input: { email: 'GRACE@example.com', password: 'correct horse battery' },
    });
    expect(ok.logIn.user.email).toBe('grace@example.com');
  });
});

describe('becoming a seller', () => {
  test('needs a token', async () => {
    const result = await stack.client.op('BecomeSeller', { input: { shopName: 'Nope', country: 'US', currency: 'USD' } });
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
  });

  test('returns a token that carries the seller role, once', async () => {
    const { token, user } = await signUp('linus@example.com');
    const client = stack.client.as(token);
    const bad = await client.op('BecomeSeller', { input: { shopName: 'Penguin Parts', country: 'US', currency: 'XYZ' } });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);

    const { becomeSeller } = await client.ok<{
      becomeSeller: { token: string; seller: { id: string; shopName: string; currency: string; user: { id: string } } };
    }>('BecomeSeller', { input: { shopName: 'Penguin Parts', country: 'us', currency: 'usd' } });
    expect(becomeSeller.seller).toMatchObject({ shopName: 'Penguin Parts', currency: 'USD', user: { id: user.id } });

    const me = await stack.client.as(becomeSeller.token).ok<{ me: { seller: { id: string } } }>('Me');
    expect(me.me.seller.id).toBe(becomeSeller.seller.id);

    const again = await stack.client.as(becomeSeller.token).op('BecomeSeller', {
      input: { shopName: 'Second Shop', country: 'US', currency: 'USD' },
    });
    expect(codes(again)).toEqual(['CONFLICT']);

    const other = await signUp('taken@example.com');
    const taken = await stack.client.as(other.token).op('BecomeSeller', {
      input: { shopName: 'penguin parts', country: 'US', currency: 'USD' },
    });
    expect(codes(taken)).toEqual(['CONFLICT']);
  });

  test("a seller's email is visible to nobody else", async () => {
    const { token } = await signUp('private@example.com');
    const { becomeSeller } = await stack.client
      .as(token)
      .ok<{ becomeSeller: { seller: { id: string } } }>('BecomeSeller', { input: { shopName: 'Private', country: 'DE', currency: 'EUR' } });
    const query = 'query ($id: ID!) { seller(id: $id) { shopName user { email displayName } } }';
    const anonymous = await stack.client.query(query, { id: becomeSeller.seller.id });
    expect(anonymous.data).toEqual({ seller: { shopName: 'Private', user: { email: null, displayName: 'private' } } });
  });
});

describe('tokens and the signed channel', () => {
  test('a forged or malformed token is refused with 401', async () => {
    const { token } = await signUp('forger@example.com');
    const [header, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'buyer seller' })).toString('base64url')}.${token.split('.')[2]}`;
    for (const bad of [forged, 'not-a-jwt', token.slice(0, -4)]) {
      const result = await stack.client.as(bad).op('Me');
      expect(result.status).toBe(401);
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    }
  });

  test('the accounts subgraph publishes its public keys', async () => {
    const response = await fetch(new URL('/.well-known/jwks.json', stack.subgraphs.accounts.url));
    const jwks = (await response.json()) as { keys: { kty: string; alg: string; d?: string }[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', alg: 'ES256' });
    expect(jwks.keys[0].d).toBeUndefined();
  });

  test('a subgraph refuses requests the router did not sign, and signed headers replayed for another operation', async () => {
    const body = JSON.stringify({ query: '{ me { id } }' });
    const post = (headers: Record<string, string>, sent = body) =>
      fetch(stack.subgraphs.accounts.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: sent });
    const viewer = { userId: '00000000-0000-0000-0000-000000000000', roles: ['buyer'], scopes: ['buyer'] };

    const unsigned = await post({});
    expect(unsigned.status).toBe(401);
    const forged = await post(signViewer(viewer, 'a secret that is not the router secret at all', body));
    expect(forged.status).toBe(401);
    const stale = await post(signViewer(viewer, stack.routerSecret, body, Date.now() - 10 * 60 * 1000));
    expect(stale.status).toBe(401);
    const signed = signViewer(viewer, stack.routerSecret, body);
    expect((await post(signed)).status).toBe(200);
    // captured headers carried to another operation at once: refused, the viewer goes nowhere else
    const replayed = await post(signed, JSON.stringify({ query: 'mutation { becomeSeller(input: { shopName: "Stolen", country: "US", currency: "USD" }) { token } }' }));
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toEqual({ errors: [{ message: 'Refused: signature does not match', extensions: { code: 'UNAUTHENTICATED' } }] });
  });
});
