import { createHash } from 'node:crypto';
import { codes, type GraphQLClient } from '../../lib/client/graphql-client';
import { operation } from '../../lib/client/operations';
import { createLogger } from '../../lib/logger';
import { accessWalk } from '../../lib/testing/access-walk';
import { eventually } from '../../lib/testing/eventually';
import { checkOut, newListing, newOperator, newSeller, payByTestCard, signUp, TEST_PASSWORD, type TestUser } from '../../lib/testing/marketplace';
import { STACK_MODES, startTestStack, type TestStack } from '../../scripts/test-stack';
import { verifyChain } from '../../subgraphs/accounts/audit-log';
import { OPERATOR, grantRole } from '../../subgraphs/accounts/roles';
import { startRouter, type RunningRouter } from '../server';

/**
 * The audit log through the router (issue 13, item 5; contract operators.graphql AuditLog), on
 * PostgreSQL and on the embedded default: sign-ins, failed sign-ins and commission changes are
 * appended with who, what, the client's address and the id of the request that did it (the
 * x-request-id the router answered with); operators read it newest first with every filter; the hash
 * chain verifies; nobody else reads it.
 */
interface Entry {
  id: string;
  at: string;
  action: string;
  actorId: string | null;
  targetType: string;
  targetId: string;
  ip: string | null;
  requestId: string | null;
  hash: string;
  previousHash: string | null;
}
interface AuditPage {
  auditLog: { totalCount: number; edges: { node: Entry }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

const LOCAL = ['127.0.0.1', '::1'];

/** Runs a contract operation as a browser would, keeping the response's x-request-id. */
async function raw(url: string, name: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: operation(name), variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] };
  return { body, requestId: response.headers.get('x-request-id')! };
}

describe.each(STACK_MODES)('the audit log on %s', (mode) => {
  let stack: TestStack;
  let operator: TestUser;
  let user: TestUser;
  let roleWithoutTwoFactor: GraphQLClient;
  const started = new Date();
  beforeAll(async () => {
    stack = await startTestStack({ embedded: mode === 'embedded' });
    const grant = (email: string) => grantRole(stack.subgraphs.accounts.db, email, OPERATOR);
    [operator, user] = await Promise.all([newOperator(stack.client, grant), signUp(stack.client, 'Audited', { address: false })]);
    // an operator by role who signed in with the password alone: no operator scope
    const halfway = await signUp(stack.client, 'Halfway', { address: false });
    await grant(halfway.email);
    const { logIn } = await stack.client.ok<{ logIn: { token: string } }>('LogIn', { input: { email: halfway.email, password: TEST_PASSWORD } });
    roleWithoutTwoFactor = stack.client.as(logIn.token);
  });
  afterAll(() => stack?.stop());

  const auditLog = async (filter: Record<string, unknown>, more: Record<string, unknown> = {}) =>
    (await operator.client.ok<AuditPage>('AuditLog', { filter, ...more })).auditLog;
  const onlyEntry = (filter: Record<string, unknown>) =>
    eventually(async () => {
      const page = await auditLog(filter);
      expect(page.totalCount).toBe(1);
      return page.edges[0].node;
    });

  test('step 19 (the actions of this part): a sign-in, failed sign-ins, a commission change, a role grant and two-factor turned on are logged with actor, target, address and request id; the chain verifies', async () => {
    const signedIn = await raw(stack.routerUrl, 'LogIn', { input: { email: user.email, password: TEST_PASSWORD } });
    expect(signedIn.body.errors).toBeUndefined();
    const wrongPassword = await raw(stack.routerUrl, 'LogIn', { input: { email: user.email, password: 'not the password at all' } });
    expect(wrongPassword.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const stranger = `nobody-${Date.now()}@example.com`;
    const unknownEmail = await raw(stack.routerUrl, 'LogIn', { input: { email: stranger, password: 'not the password at all' } });
    expect(unknownEmail.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const commission = await raw(stack.routerUrl, 'SetCommissionRules', { input: { defaultRateBps: 750 } }, { authorization: `Bearer ${operator.client.token}` });
    expect(commission.body.errors).toBeUndefined();

    const signIn = await onlyEntry({ action: 'user.signed_in', targetId: user.userId });
    expect(signIn).toMatchObject({ actorId: user.userId, targetType: 'user', requestId: signedIn.requestId });
    expect(LOCAL).toContain(signIn.ip);
    const failed = await onlyEntry({ action: 'user.sign_in_failed', targetType: 'user', targetId: user.userId });
    expect(failed).toMatchObject({ actorId: null, requestId: wrongPassword.requestId });
    expect(LOCAL).toContain(failed.ip);
    // an address with no account: its hash, so that attempts on it can be found, and no account is made of it
    const hashed = createHash('sha256').update(stranger).digest('hex');
    const unknown = await onlyEntry({ action: 'user.sign_in_failed', targetType: 'email', targetId: hashed });
    expect(unknown).toMatchObject({ actorId: null, requestId: unknownEmail.requestId });
    expect(JSON.stringify(await auditLog({}, { first: 100 }))).not.toContain(stranger);
    const change = await onlyEntry({ action: 'commission.changed', actorId: operator.userId });
    expect(change).toMatchObject({ actorId: operator.userId, targetType: 'commission_rules', requestId: commission.requestId });
    expect(LOCAL).toContain(change.ip);
    expect(change.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(change.previousHash).toMatch(/^[0-9a-f]{64}$/);

    // the operator's making: the role from the command line (no actor, no address), two-factor by themselves
    expect(await onlyEntry({ action: 'role.granted', targetId: operator.userId })).toMatchObject({ actorId: null, targetType: 'user', ip: null, requestId: null });
    const twoFactorOn = await onlyEntry({ action: 'two_factor.enabled', targetId: operator.userId });
    expect(twoFactorOn).toMatchObject({ actorId: operator.userId, targetType: 'user', requestId: expect.any(String) });
    expect(LOCAL).toContain(twoFactorOn.ip);

    const report = await verifyChain(stack.subgraphs.accounts.db);
    expect(report.broken).toBeNull();
    expect(report.checked).toBeGreaterThanOrEqual(4);
  });

  test('operators read it newest first, by each filter, a page at a time; bad filters are BAD_USER_INPUT', async () => {
    const mine = await eventually(async () => {
      const page = await auditLog({ targetType: 'user', targetId: user.userId });
      expect(page.edges.map((edge) => edge.node.action)).toEqual(['user.sign_in_failed', 'user.signed_in']);
      return page;
    });
    // newest first, each linked to the one appended before it
    const [newer, older] = mine.edges.map((edge) => edge.node);
    expect(Number(newer.id)).toBeGreaterThan(Number(older.id));
    expect(Date.parse(newer.at)).toBeGreaterThanOrEqual(Date.parse(older.at));

    const firstPage = await auditLog({ targetId: user.userId }, { first: 1 });
    expect(firstPage).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true } });
    const secondPage = await auditLog({ targetId: user.userId }, { first: 1, after: firstPage.pageInfo.endCursor });
    expect(secondPage.edges.map((edge) => edge.node.id)).toEqual([older.id]);
    expect(secondPage.pageInfo.hasNextPage).toBe(false);

    expect((await auditLog({ action: 'user.signed_in', actorId: user.userId })).totalCount).toBe(1);
    expect((await auditLog({ actorId: operator.userId, action: 'commission.changed' })).totalCount).toBe(1);
    const now = new Date();
    expect((await auditLog({ targetId: user.userId, from: started.toISOString(), to: now.toISOString() })).totalCount).toBe(2);
    expect((await auditLog({ targetId: user.userId, from: now.toISOString() })).totalCount).toBe(0);
    expect((await auditLog({ targetId: user.userId, to: started.toISOString() })).totalCount).toBe(0);
    const everything = await auditLog({});
    expect(everything.totalCount).toBeGreaterThanOrEqual(4);
    const ids = everything.edges.map((edge) => Number(edge.node.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    for (const bad of [
      { filter: { action: 'Signed In!' } },
      { filter: { actorId: 'not-a-user' } },
      { filter: { targetType: 'User Account' } },
      { filter: { from: now.toISOString(), to: started.toISOString() } },
      { filter: {}, after: 'not-a-cursor' },
      { filter: {}, first: -1 },
    ]) {
      const refused = await operator.client.op('AuditLog', bad);
      expect({ bad, codes: codes(refused) }).toEqual({ bad, codes: ['BAD_USER_INPUT'] });
    }
  });

  test('the address is the socket peer, and a proxy’s X-Forwarded-For counts only behind TRUST_PROXY', async () => {
    const spoofed = await raw(stack.routerUrl, 'LogIn', { input: { email: user.email, password: TEST_PASSWORD } }, { 'x-forwarded-for': '198.51.100.66' });
    expect(spoofed.body.errors).toBeUndefined();
    const ignored = await eventually(async () => {
      const page = await auditLog({ action: 'user.signed_in', targetId: user.userId });
      const entry = page.edges.find((edge) => edge.node.requestId === spoofed.requestId)?.node;
      expect(entry).toBeDefined();
      return entry!;
    });
    expect(LOCAL).toContain(ignored.ip);

    let proxied: RunningRouter | undefined;
    try {
      proxied = await startRouter({ ...stack.routerConfig, port: 0, trustProxy: true }, createLogger({}, { level: 'silent' }));
      const behindProxy = await raw(proxied.url, 'LogIn', { input: { email: user.email, password: TEST_PASSWORD } }, { 'x-forwarded-for': '198.51.100.66, 203.0.113.9' });
      expect(behindProxy.body.errors).toBeUndefined();
      await eventually(async () => {
        const page = await auditLog({ action: 'user.signed_in', targetId: user.userId });
        expect(page.edges.find((edge) => edge.node.requestId === behindProxy.requestId)?.node.ip).toBe('203.0.113.9');
      });
    } finally {
      await proxied?.stop();
    }
  });

  test("a seller's refund, a password change and an account's deletion are logged by whoever did them", async () => {
    const [seller, buyer] = await Promise.all([newSeller(stack.client), signUp(stack.client)]);
    const listing = await newListing(seller.client, { title: 'Audited kettle', stock: 2 });
    const purchase = await checkOut(buyer, [listing]);
    await payByTestCard(buyer, purchase.paymentId);
    const orderId = purchase.orders[0].id;
    await eventually(async () => expect((await buyer.client.ok<{ order: { status: string } }>('Order', { id: orderId })).order.status).toBe('PAID'));
    const refunded = await raw(stack.routerUrl, 'RefundOrder', { orderId, amount: 300, reason: 'Dented lid' }, { authorization: `Bearer ${seller.client.token}` });
    expect(refunded.body.errors).toBeUndefined();
    const refund = await onlyEntry({ action: 'order.refunded', targetId: orderId });
    expect(refund).toMatchObject({ actorId: seller.userId, targetType: 'order', requestId: refunded.requestId });

    const mover = await signUp(stack.client, 'Mover', { address: false });
    const changed = await raw(stack.routerUrl, 'ChangePassword', { currentPassword: TEST_PASSWORD, newPassword: 'another long password' }, { authorization: `Bearer ${mover.client.token}` });
    expect(changed.body.errors).toBeUndefined();
    expect(await onlyEntry({ action: 'password.changed', targetId: mover.userId })).toMatchObject({ actorId: mover.userId, requestId: changed.requestId });
    const deleted = await raw(stack.routerUrl, 'DeleteMyAccount', { password: 'another long password' }, { authorization: `Bearer ${mover.client.token}` });
    expect(deleted.body.errors).toBeUndefined();
    expect(await onlyEntry({ action: 'account.deleted', targetId: mover.userId })).toMatchObject({ actorId: mover.userId, requestId: deleted.requestId });
    expect((await verifyChain(stack.subgraphs.accounts.db)).broken).toBeNull();
  });

  test('an operator’s reconciliation run is logged with the operator, the run, the address and the request id; a refused one logs nothing', async () => {
    const refused = await raw(stack.routerUrl, 'RunReconciliation', {}, { authorization: `Bearer ${roleWithoutTwoFactor.token}` });
    expect(refused.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const ran = await raw(stack.routerUrl, 'RunReconciliation', {}, { authorization: `Bearer ${operator.client.token}` });
    expect(ran.body.errors).toBeUndefined();
    const runId = (ran.body.data as { runReconciliation: { id: string } }).runReconciliation.id;
    const entry = await onlyEntry({ action: 'reconciliation.run', targetId: runId });
    expect(entry).toMatchObject({ actorId: operator.userId, targetType: 'reconciliation_run', requestId: ran.requestId });
    expect(LOCAL).toContain(entry.ip);
    // the refusal came first: had it run or been logged, there would be an entry of its request
    expect((await auditLog({ action: 'reconciliation.run' }, { first: 100 })).edges.map((edge) => edge.node.requestId)).not.toContain(refused.requestId);
    expect((await verifyChain(stack.subgraphs.accounts.db)).broken).toBeNull();
  });

  test('who may read the audit log: operators signed in with two-factor only', async () => {
    const step = accessWalk(() => ({ anonymous: stack.client, user: user.client, roleWithoutTwoFactor, operator: operator.client }));
    await step('AuditLog', () => ({ filter: {}, first: 5 }), {
      anonymous: 'UNAUTHENTICATED',
      user: 'FORBIDDEN',
      roleWithoutTwoFactor: 'FORBIDDEN',
      operator: (response) => expect((response.data as unknown as AuditPage).auditLog.edges.length).toBeGreaterThan(0),
    });
  });
});
