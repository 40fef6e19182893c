import { codes } from '../../lib/client/graphql-client';
import { eventually } from '../../lib/testing/eventually';
import { checkOut, newListing, newOperator, newSeller, payByTestCard, signUp, TEST_PASSWORD, type TestUser } from '../../lib/testing/marketplace';
import { TestSmtpServer } from '../../lib/testing/smtp';
import { grantRole, OPERATOR } from '../../subgraphs/accounts/roles';
import { STACK_MODES, startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Journey step 18 (contract v2, account-security.graphql) through the router with a real SMTP
 * server, and the viewer's data: exported from every subgraph as one document, and the account
 * deleted (refused while an order is open, or while money of one is still in escrow), erased or anonymised
 * everywhere while orders keep their amounts.
 */
describe.each(STACK_MODES)('account security and privacy on %s', (mode) => {
  let stack: TestStack;
  const smtp = new TestSmtpServer();
  beforeAll(async () => {
    await smtp.start();
    stack = await startTestStack({ embedded: mode === 'embedded', env: { ...process.env, SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp.stop();
  });

  const inboxOf = async (user: TestUser) =>
    (await user.client.ok<{ me: { notifications: { edges: { node: { kind: string; order: { id: string } | null } }[] } } }>('MyNotifications', { first: 50 })).me.notifications.edges.map(
      (e) => e.node,
    );
  const linkIn = (text: string, path: string) => new RegExp(`https?://\\S+${path}\\?token=[\\w-]+`).exec(text)![0];
  const mailTo = (address: string, subject: RegExp) =>
    eventually(async () => {
      const mails = smtp.to(address, subject);
      expect(mails.length).toBeGreaterThan(0);
      return mails.at(-1)!;
    });

  test('step 18: a forgotten password is reset by an emailed link, which kills the old refresh token; the operator signs in with a code', async () => {
    const buyer = await signUp(stack.client);
    const { logIn } = await stack.client.ok<{ logIn: { refreshToken: string } }>('LogInWithCode', { input: { email: buyer.email, password: TEST_PASSWORD } });
    expect((await stack.client.ok<{ requestPasswordReset: boolean }>('RequestPasswordReset', { email: buyer.email })).requestPasswordReset).toBe(true);
    expect((await stack.client.ok<{ requestPasswordReset: boolean }>('RequestPasswordReset', { email: 'nobody@example.com' })).requestPasswordReset).toBe(true);
    const mail = await mailTo(buyer.email, /reset/i);
    const link = linkIn(mail.text, '/account/reset-password');
    // the link opens the marketplace's own page, through the router: GET shows the form and changes nothing
    expect(new URL(link).origin).toBe(new URL(stack.routerUrl).origin);
    const form = await fetch(link);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="password"');
    const token = new URL(link).searchParams.get('token');
    const { resetPassword } = await stack.client.ok<{ resetPassword: { token: string; user: { id: string } } }>('ResetPassword', {
      token,
      newPassword: 'my new long password',
    });
    expect(resetPassword.user.id).toBe(buyer.userId);
    expect(codes(await stack.client.op('RefreshSession', { refreshToken: logIn.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await stack.client.op('LogIn', { input: { email: buyer.email, password: TEST_PASSWORD } }))).toEqual(['UNAUTHENTICATED']);
    await stack.client.ok('LogIn', { input: { email: buyer.email, password: 'my new long password' } });
    // the owner is told, by email too (a mandatory kind)
    await mailTo(buyer.email, /password was reset/i);

    const operator = await newOperator(stack.client, (email) => grantRole(stack.subgraphs.accounts.db, email, OPERATOR));
    const { me } = await operator.client.ok<{ me: { twoFactorEnabled: boolean } }>('Me');
    expect(me).toBeDefined();
    expect((await operator.client.ok<{ reconciliationRuns: unknown }>('ReconciliationRuns', {})).reconciliationRuns).toBeDefined();
  });

  test('the reset page sets the new password with its form', async () => {
    const user = await signUp(stack.client);
    await stack.client.ok('RequestPasswordReset', { email: user.email });
    const link = linkIn((await mailTo(user.email, /reset/i)).text, '/account/reset-password');
    const weak = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'password=short' });
    expect(weak.status).toBe(400);
    const done = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'password=set+from+the+page' });
    expect(done.status).toBe(200);
    await stack.client.ok('LogIn', { input: { email: user.email, password: 'set from the page' } });
    expect((await fetch(link, { method: 'POST', body: 'password=again+and+again' })).status).toBe(400);
  });

  test('a reset link works for 30 minutes: used after its expiry it is refused and changes nothing', async () => {
    const user = await signUp(stack.client);
    await stack.client.ok('RequestPasswordReset', { email: user.email });
    const link = linkIn((await mailTo(user.email, /reset/i)).text, '/account/reset-password');
    const token = new URL(link).searchParams.get('token');
    const accounts = stack.subgraphs.accounts.db;
    const stored = () =>
      accounts.transaction((m) =>
        m.query(`SELECT extract(epoch FROM expires_at - created_at)::int AS seconds, used_at FROM one_time_tokens WHERE user_id = $1 AND purpose = 'reset-password'`, [
          user.userId,
        ]),
      ) as Promise<{ seconds: number; used_at: Date | null }[]>;
    expect(await stored()).toEqual([{ seconds: 30 * 60, used_at: null }]);
    // the clock moves past its expiry (the row's, as the link's lifetime is the database's to judge)
    const expireBy = (interval: string) =>
      accounts.transaction((m) => m.query(`UPDATE one_time_tokens SET expires_at = now() + $2::interval WHERE user_id = $1 AND purpose = 'reset-password'`, [user.userId, interval]));
    await expireBy('-1 second');
    const late = await stack.client.op('ResetPassword', { token, newPassword: 'too late a password' });
    expect(late.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'token' });
    const page = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'password=too+late+from+the+page' });
    expect(page.status).toBe(400);
    // nothing changed: the old password signs in, the new ones do not, and the link is unspent
    await stack.client.ok('LogIn', { input: { email: user.email, password: TEST_PASSWORD } });
    expect(codes(await stack.client.op('LogIn', { input: { email: user.email, password: 'too late a password' } }))).toEqual(['UNAUTHENTICATED']);
    expect((await stored())[0].used_at).toBeNull();
    // the expiry alone refused it: a minute before it, the same link works
    await expireBy('1 minute');
    await stack.client.ok('ResetPassword', { token, newPassword: 'just in time password' });
    await stack.client.ok('LogIn', { input: { email: user.email, password: 'just in time password' } });
  });

  test('deletion waits for money in escrow: a cancelled order whose refund has not gone through keeps both parties', async () => {
    const [seller, buyer] = await Promise.all([newSeller(stack.client), signUp(stack.client)]);
    const listing = await newListing(seller.client, { title: 'Escrowed kettle', stock: 2 });
    const purchase = await checkOut(buyer, [listing]);
    const orderId = purchase.orders[0].id;
    await payByTestCard(buyer, purchase.paymentId);
    await eventually(async () => expect((await buyer.client.ok<{ order: { status: string } }>('Order', { id: orderId })).order.status).toBe('PAID'));
    const payments = stack.subgraphs.payments.db;
    const refundStatuses = async () =>
      ((await payments.transaction((m) => m.query(`SELECT status FROM refunds WHERE order_id = $1`, [orderId]))) as { status: string }[]).map((r) => r.status);
    // The payment provider is down for refunds: the test provider keeps its records in payments' database, and
    // one that cannot be written is a refund that did not go through (payments retries it until it does).
    await payments.transaction((m) => m.query(`ALTER TABLE test_provider_records ADD CONSTRAINT refunds_down CHECK (kind <> 'refund') NOT VALID`));
    try {
      await seller.client.ok('CancelOrder', { id: orderId, reason: 'Cannot ship after all' });
      // orders calls the order finished at once; payments still holds the buyer's money, its refund PENDING
      expect((await buyer.client.ok<{ order: { status: string } }>('Order', { id: orderId })).order.status).toBe('CANCELLED');
      await eventually(async () => expect(await refundStatuses()).toEqual(['PENDING']));
      for (const party of [buyer, seller]) {
        const refused = await party.client.op('DeleteMyAccount', { password: TEST_PASSWORD });
        expect(codes(refused)).toEqual(['CONFLICT']);
        expect(refused.errors![0].message).toMatch(/escrow/);
        // nothing changed: the account still signs in
        await stack.client.ok('LogIn', { input: { email: party.email, password: TEST_PASSWORD } });
      }
    } finally {
      await payments.transaction((m) => m.query(`ALTER TABLE test_provider_records DROP CONSTRAINT refunds_down`));
    }
    // the provider is back: the cancellation's refund is retried and settles; the money has left escrow
    await eventually(
      async () => expect((await inboxOf(buyer)).filter((n) => n.kind === 'REFUND_ISSUED' && n.order?.id === orderId)).toHaveLength(1),
      { timeoutMs: 30_000 },
    );
    expect(await refundStatuses()).toEqual(['SUCCEEDED']);
    for (const party of [buyer, seller]) {
      expect((await party.client.ok<{ deleteMyAccount: boolean }>('DeleteMyAccount', { password: TEST_PASSWORD })).deleteMyAccount).toBe(true);
    }
  });

  describe('the viewer’s data', () => {
    let seller: TestUser;
    let buyer: TestUser;
    let orderId: string;
    beforeAll(async () => {
      seller = await newSeller(stack.client);
      buyer = await signUp(stack.client, 'Privacy Buyer');
      const listing = await newListing(seller.client, { title: 'Exported teapot', stock: 5 });
      const purchase = await checkOut(buyer, [listing]);
      orderId = purchase.orders[0].id;
      await payByTestCard(buyer, purchase.paymentId);
      await eventually(async () => expect((await seller.client.ok<{ order: { status: string } }>('Order', { id: orderId })).order.status).toBe('PAID'));
      await buyer.client.ok('SendOrderMessage', { orderId, body: 'Please wrap it' });
    });

    test('is exported from every subgraph as one JSON document, for the viewer only', async () => {
      const exported = await eventually(async () => {
        const { me } = await buyer.client.ok<{ me: { id: string; exportData: string } }>('ExportMyData');
        const data = JSON.parse(me.exportData);
        expect(data.notifications.messagesWritten).toHaveLength(1);
        return data;
      });
      expect(exported.account).toMatchObject({ id: buyer.userId, email: buyer.email, displayName: 'Privacy Buyer' });
      expect(exported.account.addresses).toHaveLength(1);
      expect(exported.orders.ordersBought.map((o: { id: string }) => o.id)).toEqual([orderId]);
      expect(exported.orders.ordersBought[0].items[0].title).toBe('Exported teapot');
      expect(exported.payments.payments).toHaveLength(1);
      expect(Object.keys(exported)).toEqual(expect.arrayContaining(['listings', 'reputation', 'notifications']));
      const sellers = JSON.parse((await seller.client.ok<{ me: { exportData: string } }>('ExportMyData')).me.exportData);
      expect(sellers.listings.listings.map((l: { title: string }) => l.title)).toEqual(['Exported teapot']);
      expect(sellers.orders.ordersSold.map((o: { id: string }) => o.id)).toEqual([orderId]);
      expect((await stack.client.ok<{ me: null }>('ExportMyData')).me).toBeNull();
    });

    test('deletion: refused while an order is open; then personal data goes everywhere and orders keep their amounts', async () => {
      expect(codes(await buyer.client.op('DeleteMyAccount', { password: 'wrong password' }))).toEqual(['UNAUTHENTICATED']);
      const open = await buyer.client.op('DeleteMyAccount', { password: TEST_PASSWORD });
      expect(codes(open)).toEqual(['CONFLICT']);
      expect(codes(await seller.client.op('DeleteMyAccount', { password: TEST_PASSWORD }))).toEqual(['CONFLICT']);
      // the seller cancels: the order is finished, and once the buyer is refunded (no money left in escrow) both may go
      await seller.client.ok('CancelOrder', { id: orderId, reason: 'Out of stock' });
      await eventually(async () => expect((await buyer.client.ok<{ order: { status: string } }>('Order', { id: orderId })).order.status).toMatch(/CANCELLED|REFUNDED/));
      await eventually(async () => expect((await inboxOf(buyer)).map((n) => [n.kind, n.order?.id])).toContainEqual(['REFUND_ISSUED', orderId]));
      expect((await buyer.client.ok<{ deleteMyAccount: boolean }>('DeleteMyAccount', { password: TEST_PASSWORD })).deleteMyAccount).toBe(true);
      expect(codes(await stack.client.op('LogIn', { input: { email: buyer.email, password: TEST_PASSWORD } }))).toEqual(['UNAUTHENTICATED']);
      // the email can sign up again
      await stack.client.ok('SignUp', { input: { email: buyer.email, password: TEST_PASSWORD } });

      const inDb = <T>(subgraph: keyof TestStack['subgraphs'], sql: string, params: unknown[]) =>
        stack.subgraphs[subgraph].db.transaction((m) => m.query(sql, params)) as Promise<T[]>;
      await eventually(async () => {
        expect(await inDb('accounts', `SELECT 1 FROM addresses WHERE user_id = $1`, [buyer.userId])).toEqual([]);
        expect(await inDb('orders', `SELECT shipping_address FROM orders WHERE id = $1`, [orderId])).toEqual([{ shipping_address: null }]);
        expect(await inDb('notifications', `SELECT 1 FROM recipients WHERE user_id = $1`, [buyer.userId])).toEqual([]);
        expect(await inDb('notifications', `SELECT body FROM order_messages WHERE author_id = $1`, [buyer.userId])).toEqual([
          { body: expect.stringContaining('deleted') },
        ]);
      });
      const [user] = await inDb<{ email: string; display_name: string }>('accounts', `SELECT email, display_name FROM users WHERE id = $1`, [buyer.userId]);
      expect(user.email).not.toBe(buyer.email);
      expect(user.display_name).toBe('Deleted user');
      // the order keeps its amounts for accounting; the seller still reads it
      const { order } = await seller.client.ok<{ order: { total: { amount: number } } }>('Order', { id: orderId });
      expect(order.total.amount).toBeGreaterThan(0);
    });
  });
});
