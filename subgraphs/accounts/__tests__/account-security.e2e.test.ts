import { codes, type GraphQLClient } from '../../../lib/client/graphql-client';
import type { EventPayloads } from '../../../lib/events/catalog';
import { isEvent } from '../../../lib/events/catalog';
import { eventually } from '../../../lib/testing/eventually';
import { signUp, totpCode, turnOnTwoFactor, TEST_PASSWORD, type TestUser } from '../../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';

/**
 * Account security through the router (contract v2, account-security.graphql): sessions with
 * rotating refresh tokens, password change and reset, email verification, two-factor. The emails'
 * links are read from the events accounts publishes for notifications to send.
 */
let stack: TestStack;
let untail: () => Promise<void>;
const emails: EventPayloads['AccountEmailRequested'][] = [];
const security: EventPayloads['AccountSecurityChanged'][] = [];
beforeAll(async () => {
  stack = await startTestStack();
  untail = await stack.bus.tail(async (event) => {
    if (isEvent(event, 'AccountEmailRequested')) emails.push(event.payload);
    if (isEvent(event, 'AccountSecurityChanged')) security.push(event.payload);
  });
});
afterAll(async () => {
  await untail?.();
  await stack?.stop();
});

type Pair = { token: string; refreshToken: string };
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number; iat: number; sid: string };
const tokenIn = (url: string) => new URL(url).searchParams.get('token')!;
const emailTo = (email: string, purpose: 'VERIFY_EMAIL' | 'RESET_PASSWORD') =>
  eventually(async () => {
    const found = emails.filter((e) => e.email === email && e.purpose === purpose).at(-1);
    if (!found) throw new Error(`no ${purpose} email to ${email}`);
    return found;
  });

async function logIn(client: GraphQLClient, email: string, password = TEST_PASSWORD, code?: string): Promise<Pair> {
  const { logIn } = await client.ok<{ logIn: Pair }>('LogInWithCode', { input: { email, password, ...(code ? { code } : {}) } });
  return logIn;
}
const refresh = (refreshToken: string) => stack.client.op<{ refreshSession: Pair }>('RefreshSession', { refreshToken });
const me = async (token: string) => (await stack.client.as(token).ok<{ me: { id: string } | null }>('Me')).me;

test('access tokens live 15 minutes and name their session', async () => {
  const user = await signUp(stack.client);
  const claims = claimsOf((await logIn(stack.client, user.email)).token);
  expect(claims.exp - claims.iat).toBe(15 * 60);
  expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);
});

test('sign-up sends a verification link that verifies the address once', async () => {
  const user = await signUp(stack.client);
  const { url, expiresAt } = await emailTo(user.email, 'VERIFY_EMAIL');
  expect(new URL(url).pathname).toBe('/account/verify-email');
  expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now() + 24 * 3600 * 1000);
  const verified = await stack.client.ok<{ verifyEmail: { id: string; emailVerified: boolean } }>('VerifyEmail', { token: tokenIn(url) });
  expect(verified.verifyEmail).toEqual({ id: user.userId, emailVerified: true });
  expect(codes(await stack.client.op('VerifyEmail', { token: tokenIn(url) }))).toEqual(['BAD_USER_INPUT']);
  expect(codes(await stack.client.op('VerifyEmail', { token: 'not-a-token' }))).toEqual(['BAD_USER_INPUT']);
  expect((await user.client.ok<{ resendVerificationEmail: boolean }>('ResendVerificationEmail')).resendVerificationEmail).toBe(false);
});

test('a refresh token works once; replaying a spent one ends every session of the user', async () => {
  const user = await signUp(stack.client);
  const first = await logIn(stack.client, user.email);
  const other = await logIn(stack.client, user.email);
  const second = (await refresh(first.refreshToken)).data!.refreshSession;
  expect(second.refreshToken).not.toBe(first.refreshToken);
  expect(claimsOf(second.token).sid).toBe(claimsOf(first.token).sid);
  expect(await me(second.token)).toEqual(expect.objectContaining({ id: user.userId }));
  // the spent token again: a copy exists, so every session ends, the thief's and the owner's
  const replay = await refresh(first.refreshToken);
  expect(codes(replay)).toEqual(['UNAUTHENTICATED']);
  expect(codes(await refresh(second.refreshToken))).toEqual(['UNAUTHENTICATED']);
  expect(codes(await refresh(other.refreshToken))).toEqual(['UNAUTHENTICATED']);
  expect(codes(await refresh('unknown'))).toEqual(['UNAUTHENTICATED']);
});

test('logging out ends that session only, and again is no error', async () => {
  const user = await signUp(stack.client);
  const [one, two] = [await logIn(stack.client, user.email), await logIn(stack.client, user.email)];
  expect((await stack.client.ok<{ logOut: boolean }>('LogOut', { refreshToken: one.refreshToken })).logOut).toBe(true);
  expect((await stack.client.ok<{ logOut: boolean }>('LogOut', { refreshToken: one.refreshToken })).logOut).toBe(true);
  expect(codes(await refresh(one.refreshToken))).toEqual(['UNAUTHENTICATED']);
  // ended by logOut: not a replay, so the other session lives on
  expect(codes(await refresh(two.refreshToken))).toEqual([]);
});

test('changing the password needs the current one and ends every other session', async () => {
  const user = await signUp(stack.client);
  const here = await logIn(stack.client, user.email);
  const elsewhere = await logIn(stack.client, user.email);
  const client = stack.client.as(here.token);
  expect(codes(await client.op('ChangePassword', { currentPassword: 'wrong password', newPassword: 'another long password' }))).toEqual([
    'UNAUTHENTICATED',
  ]);
  expect(codes(await client.op('ChangePassword', { currentPassword: TEST_PASSWORD, newPassword: 'short' }))).toEqual(['BAD_USER_INPUT']);
  await client.ok('ChangePassword', { currentPassword: TEST_PASSWORD, newPassword: 'another long password' });
  expect(codes(await refresh(elsewhere.refreshToken))).toEqual(['UNAUTHENTICATED']);
  expect(codes(await refresh(here.refreshToken))).toEqual([]);
  expect(codes(await stack.client.op('LogIn', { input: { email: user.email, password: TEST_PASSWORD } }))).toEqual(['UNAUTHENTICATED']);
  await logIn(stack.client, user.email, 'another long password');
  await eventually(async () => expect(security).toContainEqual(expect.objectContaining({ userId: user.userId, change: 'PASSWORD_CHANGED' })));
});

describe('password reset', () => {
  test('never tells whether an email has an account; sends a one-time link that ends every session', async () => {
    const before = emails.length;
    expect((await stack.client.ok<{ requestPasswordReset: boolean }>('RequestPasswordReset', { email: 'nobody@example.com' })).requestPasswordReset).toBe(true);
    const user = await signUp(stack.client);
    const old = await logIn(stack.client, user.email);
    expect((await stack.client.ok<{ requestPasswordReset: boolean }>('RequestPasswordReset', { email: user.email.toUpperCase() })).requestPasswordReset).toBe(
      true,
    );
    const { url } = await emailTo(user.email, 'RESET_PASSWORD');
    expect(emails.slice(before).filter((e) => e.email === 'nobody@example.com')).toEqual([]);
    const token = tokenIn(url);
    // a weak password changes nothing: the link still works after
    expect(codes(await stack.client.op('ResetPassword', { token, newPassword: 'short' }))).toEqual(['BAD_USER_INPUT']);
    const { resetPassword } = await stack.client.ok<{ resetPassword: Pair & { user: { id: string } } }>('ResetPassword', {
      token,
      newPassword: 'a brand new password',
    });
    expect(resetPassword.user.id).toBe(user.userId);
    expect(codes(await refresh(old.refreshToken))).toEqual(['UNAUTHENTICATED']);
    // ended by the reset, not replayed: the new session is untouched
    expect(codes(await refresh(resetPassword.refreshToken))).toEqual([]);
    expect(codes(await stack.client.op('ResetPassword', { token, newPassword: 'yet another password' }))).toEqual(['BAD_USER_INPUT']);
    await logIn(stack.client, user.email, 'a brand new password');
  });

  test('at most five links an hour to one address; the sixth request is answered the same, unsent', async () => {
    const user = await signUp(stack.client);
    for (let i = 0; i < 6; i++) await stack.client.ok('RequestPasswordReset', { email: user.email });
    await eventually(async () => expect(emails.filter((e) => e.email === user.email && e.purpose === 'RESET_PASSWORD')).toHaveLength(5));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(emails.filter((e) => e.email === user.email && e.purpose === 'RESET_PASSWORD')).toHaveLength(5);
  });
});

describe('two-factor', () => {
  let user: TestUser;
  let secret: string;
  let recoveryCodes: string[];

  test('turned on only with a right code; log-in then asks for one', async () => {
    user = await signUp(stack.client);
    const { enableTwoFactor } = await user.client.ok<{ enableTwoFactor: { secret: string; otpauthUrl: string } }>('EnableTwoFactor');
    expect(enableTwoFactor.otpauthUrl).toMatch(/^otpauth:\/\/totp\/Marketplace:/);
    expect(enableTwoFactor.otpauthUrl).toContain(`secret=${enableTwoFactor.secret}`);
    expect(codes(await user.client.op('ConfirmTwoFactor', { code: '000000' }))).toEqual(['BAD_USER_INPUT']);
    // still off: the password alone signs in
    await logIn(stack.client, user.email);
    ({ secret, recoveryCodes } = await turnOnTwoFactor(user));
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(codes(await user.client.op('EnableTwoFactor'))).toEqual(['CONFLICT']);

    const without = await stack.client.op('LogInWithCode', { input: { email: user.email, password: TEST_PASSWORD } });
    expect(codes(without)).toEqual(['UNAUTHENTICATED']);
    expect(without.errors?.[0].extensions?.twoFactorRequired).toBe(true);
    const wrong = await stack.client.op('LogInWithCode', { input: { email: user.email, password: TEST_PASSWORD, code: '123456' } });
    expect(wrong.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', twoFactorRequired: true });
    // a wrong password never learns that two-factor is on
    const badPassword = await stack.client.op('LogInWithCode', { input: { email: user.email, password: 'wrong password', code: '123456' } });
    expect(badPassword.errors?.[0].extensions?.twoFactorRequired).toBeUndefined();
  });

  test('a code is accepted once; a recovery code once', async () => {
    const code = await totpCode(secret, 1);
    const { logIn: withCode } = await stack.client.ok<{ logIn: Pair & { user: { twoFactorEnabled: boolean } } }>('LogInWithCode', {
      input: { email: user.email, password: TEST_PASSWORD, code },
    });
    expect(withCode.user.twoFactorEnabled).toBe(true);
    expect(codes(await stack.client.op('LogInWithCode', { input: { email: user.email, password: TEST_PASSWORD, code } }))).toEqual(['UNAUTHENTICATED']);
    const recovery = recoveryCodes[0].toLowerCase();
    await logIn(stack.client, user.email, TEST_PASSWORD, recovery);
    expect(codes(await stack.client.op('LogInWithCode', { input: { email: user.email, password: TEST_PASSWORD, code: recovery } }))).toEqual([
      'UNAUTHENTICATED',
    ]);
    // a session opened with a code keeps saying so when refreshed
    const renewed = (await refresh(withCode.refreshToken)).data!.refreshSession;
    expect(JSON.parse(Buffer.from(renewed.token.split('.')[1], 'base64url').toString()).amr).toEqual(['pwd', 'otp']);
  });

  test('a password reset takes a code too while two-factor is on', async () => {
    await stack.client.ok('RequestPasswordReset', { email: user.email });
    const token = tokenIn((await emailTo(user.email, 'RESET_PASSWORD')).url);
    const refused = await stack.client.op('ResetPassword', { token, newPassword: 'a reset password' });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', twoFactorRequired: true });
    // refused, the link is not spent
    await stack.client.ok('ResetPasswordWithCode', { token, newPassword: 'a reset password', code: recoveryCodes[1] });
  });

  test('turned off with a code; every change was told to the user', async () => {
    const signedIn = await logIn(stack.client, user.email, 'a reset password', recoveryCodes[2]);
    const client = stack.client.as(signedIn.token);
    expect(codes(await client.op('DisableTwoFactor', { code: '000000' }))).toEqual(['BAD_USER_INPUT']);
    await client.ok('DisableTwoFactor', { code: recoveryCodes[3] });
    await logIn(stack.client, user.email, 'a reset password');
    await eventually(async () =>
      expect(security.filter((e) => e.userId === user.userId).map((e) => e.change)).toEqual(
        expect.arrayContaining(['TWO_FACTOR_ENABLED', 'NEW_SIGN_IN', 'PASSWORD_RESET', 'TWO_FACTOR_DISABLED']),
      ),
    );
  });
});
