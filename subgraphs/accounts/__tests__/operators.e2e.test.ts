import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signUp, totpCode, turnOnTwoFactor, TEST_PASSWORD } from '../../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';
import { OPERATOR, grantRole, holdersOf, revokeRole } from '../roles';

/** The operator role (contract v2, operators.graphql): granted and revoked from the command line, carried in the token. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { roles: string[]; scope: string; amr?: string[] };

async function logIn(email: string) {
  const { logIn } = await stack.client.ok<{ logIn: { token: string } }>('LogIn', { input: { email, password: 'a long enough password' } });
  return claimsOf(logIn.token);
}

test('a granted operator carries the role in the next token, and the scope only once signed in with two-factor; revoked, neither', async () => {
  const db = stack.subgraphs.accounts.db;
  const user = await signUp(stack.client);
  const { me } = await user.client.ok<{ me: { email: string } }>('Me');
  expect((await logIn(me.email)).scope.split(' ')).not.toContain(OPERATOR);
  expect(await grantRole(db, me.email.toUpperCase(), OPERATOR)).toBe('granted');
  expect(await grantRole(db, me.email, OPERATOR)).toBe('already');
  const withoutTwoFactor = await logIn(me.email);
  expect(withoutTwoFactor.roles).toContain(OPERATOR);
  expect(withoutTwoFactor.scope.split(' ')).not.toContain(OPERATOR);
  const { secret, recoveryCodes } = await turnOnTwoFactor(user);
  const { logIn: withCode } = await stack.client.ok<{ logIn: { token: string } }>('LogInWithCode', {
    input: { email: me.email, password: TEST_PASSWORD, code: await totpCode(secret, 1) },
  });
  const claims = claimsOf(withCode.token);
  expect(claims.roles).toContain(OPERATOR);
  expect(claims.scope.split(' ')).toEqual(expect.arrayContaining(['buyer', OPERATOR]));
  expect(claims.amr).toEqual(['pwd', 'otp']);
  expect((await holdersOf(db, OPERATOR)).map((holder) => holder.email)).toContain(me.email);
  expect(await revokeRole(db, me.email, OPERATOR)).toBe('revoked');
  expect(await revokeRole(db, me.email, OPERATOR)).toBe('not-held');
  const { logIn: after } = await stack.client.ok<{ logIn: { token: string } }>('LogInWithCode', {
    // the next step's code is not accepted before its time comes: a recovery code signs in meanwhile
    input: { email: me.email, password: TEST_PASSWORD, code: recoveryCodes[0] },
  });
  expect(claimsOf(after.token).roles).not.toContain(OPERATOR);
  expect(await grantRole(db, 'nobody@example.com', OPERATOR)).toBe('no-such-user');
});

test('npm run operators opens the accounts database, says what it did, and fails on a bad command or an unknown user', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'operators-'));
  // the embedded default, in a data directory of its own (with DATABASE_URL it opens that database instead)
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'DATABASE_URL')), DATA_DIR: dataDir };
  const run = (...args: string[]) =>
    promisify(execFile)('node', ['--import', 'tsx', 'scripts/operators.ts', ...args], { env }).then(
      ({ stdout }) => ({ code: 0, out: stdout }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout + error.stderr }),
    );
  try {
    expect(await run('list')).toEqual({ code: 0, out: 'no operators\n' });
    expect(await run('grant', 'nobody@example.com')).toMatchObject({ code: 1, out: expect.stringContaining('no account has the email nobody@example.com') });
    expect(await run('promote')).toMatchObject({ code: 2, out: expect.stringContaining('usage: npm run operators') });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
