import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { siblingDatabaseUrl } from '../../../lib/db/data-source';
import { createLogger } from '../../../lib/logger';
import { startSubgraph } from '../../../lib/server/start-subgraph';
import { eventually } from '../../../lib/testing/eventually';
import { signUp } from '../../../lib/testing/marketplace';
import { TestSmtpServer } from '../../../lib/testing/smtp';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';
import { notifications } from '../subgraph';

/**
 * What needs the database shared between processes (PGlite is one process's): operators list and
 * retry dead letters from the command line while the stack runs, and the workers of two instances
 * send each email once.
 */
const MAX_ATTEMPTS = 3;

describe('email workers and dead letters on PostgreSQL', () => {
  let stack: TestStack;
  const smtp = new TestSmtpServer();
  const env = { ...process.env, EMAIL_RETRY_DELAY_SECONDS: '1', EMAIL_MAX_ATTEMPTS: String(MAX_ATTEMPTS) };
  beforeAll(async () => {
    await smtp.start();
    stack = await startTestStack({ env: { ...env, SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp.stop();
  });

  test('dead letters are listed and retried by operators from the command line', async () => {
    const databaseUrl = siblingDatabaseUrl(stack.databaseUrl!, 'notifications');
    const cli = (...args: string[]) =>
      promisify(execFile)('node', ['--import', 'tsx', 'scripts/notifications.ts', ...args], { env: { ...env, DATABASE_URL: databaseUrl } }).then(
        ({ stdout }) => ({ code: 0, out: stdout }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout + error.stderr }),
      );
    smtp.refuse = true;
    const user = await signUp(stack.client);
    const [dead] = await eventually(async () => {
      const rows: { id: string; status: string }[] = await stack.subgraphs.notifications.db.query(`SELECT id, status FROM emails WHERE to_address = $1`, [user.email]);
      expect(rows[0]?.status).toBe('DEAD');
      return rows;
    });
    smtp.refuse = false;
    const listed = await cli('dead-letters');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`${dead.id}\t`);
    expect(listed.out).toContain(user.email);
    expect(listed.out).toMatch(/550/);
    expect(await cli('retry', dead.id)).toEqual({ code: 0, out: '1 email queued again\n' });
    await eventually(async () => expect(smtp.to(user.email)).toHaveLength(1), { timeoutMs: 20_000 });
    expect((await cli('dead-letters')).out).not.toContain(dead.id);
    expect(await cli('retry', dead.id)).toEqual({ code: 1, out: '0 emails queued again\n' });
    expect((await cli('resend')).code).toBe(2);
  });

  test('workers on two instances send each email once', async () => {
    const second = await startSubgraph(notifications, {
      databaseUrl: siblingDatabaseUrl(stack.databaseUrl!, 'notifications'),
      routerSecret: stack.routerSecret,
      logger: createLogger(),
      bus: stack.bus,
      peerUrl: (peer) => stack.subgraphs[peer as keyof typeof stack.subgraphs].url,
      env: { ...env, SMTP_URL: smtp.url },
    });
    try {
      const users = await Promise.all(Array.from({ length: 12 }, () => signUp(stack.client)));
      await eventually(async () => {
        for (const user of users) expect(smtp.to(user.email)).toHaveLength(1);
      }, { timeoutMs: 20_000 });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      for (const user of users) expect(smtp.to(user.email)).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});
