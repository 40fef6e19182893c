import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { DataSource } from 'typeorm';
import type { MarketplaceEvent } from '../../../lib/events/catalog';
import { createLogger } from '../../../lib/logger';
import { eventually } from '../../../lib/testing/eventually';
import { signUp } from '../../../lib/testing/marketplace';
import { TestSmtpServer } from '../../../lib/testing/smtp';
import { watchTimers } from '../../../lib/testing/timers';
import { STACK_MODES, startTestStack, type TestStack } from '../../../scripts/test-stack';
import { EmailQueue } from '../email-queue';

/**
 * Email through the queue and its workers, against a real SMTP server in the test process: delivered
 * with text and HTML; the server down, then back (retried, delivered once); the server refusing for
 * good, or every attempt failing (a dead letter); an event delivered twice (one email); a stopped
 * queue leaves nothing running; and without SMTP_URL, on the embedded default, .eml files. The command
 * line and two instances are in email-operators.shared-services.test.ts.
 */
const MAX_ATTEMPTS = 3;

describe.each(STACK_MODES)('email on %s', (mode) => {
  let stack: TestStack;
  const smtp = new TestSmtpServer();
  const env = { ...process.env, EMAIL_RETRY_DELAY_SECONDS: '1', EMAIL_MAX_ATTEMPTS: String(MAX_ATTEMPTS) };
  beforeAll(async () => {
    await smtp.start();
    stack = await startTestStack({ embedded: mode === 'embedded', env: { ...env, SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp.stop();
  });

  type EmailRow = { status: string; attempts: number; last_error: string | null; id: string };
  const emailsTo = (address: string): Promise<EmailRow[]> =>
    stack.subgraphs.notifications.db.transaction((m) => m.query(`SELECT id, status, attempts, last_error FROM emails WHERE to_address = $1`, [address]));

  test('sign-up sends one verification email, in text and HTML, with its link', async () => {
    const user = await signUp(stack.client, 'Ada Lovelace');
    const [mail] = await eventually(async () => {
      const mails = smtp.to(user.email, /verify/i);
      expect(mails).toHaveLength(1);
      return mails;
    });
    expect(mail.text).toContain('Hello Ada Lovelace');
    const link = /https?:\/\/\S+\/account\/verify-email\?token=\S+/.exec(mail.text)![0];
    expect(mail.html).toContain(`href="${link}"`);
    // an account email cannot be unsubscribed from
    expect(mail.header('list-unsubscribe')).toBeUndefined();
    expect(mail.messageId).toMatch(/^<[0-9a-f-]{36}@/);
    // the worker marks it SENT once the server has answered: a moment after the server holds it
    await eventually(async () => expect(await emailsTo(user.email)).toEqual([expect.objectContaining({ status: 'SENT', attempts: 1 })]));
  });

  test('the server down, then back: retried, and delivered once', async () => {
    await smtp.stop();
    const user = await signUp(stack.client);
    await eventually(async () => expect((await emailsTo(user.email))[0]).toMatchObject({ status: 'PENDING', attempts: 1 }));
    await smtp.start();
    await eventually(async () => expect(smtp.to(user.email)).toHaveLength(1), { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(smtp.to(user.email)).toHaveLength(1);
    await eventually(async () => expect((await emailsTo(user.email))[0]).toMatchObject({ status: 'SENT', attempts: 2 }));
  });

  test('an event delivered twice makes one email', async () => {
    const email = `twice-${randomUUID().slice(0, 8)}@example.com`;
    const event: MarketplaceEvent<'AccountEmailRequested'> = {
      id: randomUUID(),
      type: 'AccountEmailRequested',
      source: 'accounts',
      occurredAt: new Date().toISOString(),
      payload: { userId: randomUUID(), email, displayName: 'Twice', purpose: 'VERIFY_EMAIL', url: 'http://localhost/x?token=y', expiresAt: new Date().toISOString() },
    };
    await stack.bus.publish([event, event]);
    await eventually(async () => expect(smtp.to(email)).toHaveLength(1));
    await stack.bus.publish([event]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(smtp.to(email)).toHaveLength(1);
    expect(await emailsTo(email)).toHaveLength(1);
  });

  test('refused for good (550): a dead letter at once, not retried', async () => {
    smtp.refuse = true;
    try {
      const user = await signUp(stack.client);
      await eventually(async () => expect((await emailsTo(user.email))[0]).toMatchObject({ status: 'DEAD', attempts: 1 }));
      expect((await emailsTo(user.email))[0].last_error).toMatch(/550/);
    } finally {
      smtp.refuse = false;
    }
  });

  test('out of attempts: a dead letter after EMAIL_MAX_ATTEMPTS', async () => {
    await smtp.stop();
    try {
      const user = await signUp(stack.client);
      await eventually(async () => expect((await emailsTo(user.email))[0]).toMatchObject({ status: 'DEAD', attempts: MAX_ATTEMPTS }), { timeoutMs: 30_000 });
    } finally {
      await smtp.start();
    }
  });

  test('stopped, the queue leaves nothing of pg-boss running: no timer pending, no statement after stop() returns', async () => {
    // A suite's teardown once died in a pg-boss loop that outlived stop(), on a loaded machine. Here the database
    // is slow to hand out jobs (a second a fetch), so that pg-boss is busy when it is told to stop.
    const db = stack.subgraphs.notifications.db;
    let stopped = false;
    const late: string[] = [];
    const slow = new Proxy(db, {
      get(target, key) {
        if (key !== 'query') return Reflect.get(target, key, target);
        return async (sql: string, parameters?: unknown[]) => {
          if (stopped) late.push(sql);
          if (sql.includes('SKIP LOCKED')) await new Promise((resolve) => setTimeout(resolve, 1000));
          return target.query(sql, parameters);
        };
      },
    }) as DataSource;
    const timers = watchTimers('node_modules/pg-boss/');
    try {
      const queue = new EmailQueue(slow, null, { maxAttempts: MAX_ATTEMPTS, retryDelaySeconds: 1, concurrency: 1 }, createLogger());
      await queue.start({ work: false });
      await queue.stop();
      stopped = true;
      // destroy hooks are told a turn later
      await new Promise((resolve) => setImmediate(resolve));
      expect(timers.pending()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(late).toEqual([]);
      expect(timers.pending()).toEqual([]);
    } finally {
      timers.stop();
    }
  });
});

describe('email without SMTP_URL, on the embedded default', () => {
  test('is written as an .eml file under the data directory’s mail folder, and the log says where', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'marketplace-mail-'));
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({}, { level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
    const { SMTP_URL: _smtp, ...withoutSmtp } = process.env;
    const stack = await startTestStack({ embedded: true, env: { ...withoutSmtp, DATA_DIR: dataDir }, logger });
    try {
      const mailDir = join(dataDir, 'mail');
      expect(lines).toContainEqual(
        expect.objectContaining({ subgraph: 'notifications', msg: 'SMTP_URL is not set: emails are written as .eml files', directory: mailDir }),
      );
      const user = await signUp(stack.client, 'Grace Hopper');
      const [email] = await eventually(async () => {
        const rows: { id: string; status: string }[] = await stack.subgraphs.notifications.db.transaction((m) =>
          m.query(`SELECT id, status FROM emails WHERE to_address = $1`, [user.email]),
        );
        expect(rows).toEqual([expect.objectContaining({ status: 'SENT' })]);
        return rows;
      });
      // one file, named by the email's id, that a mail client opens as the message
      expect(readdirSync(mailDir)).toEqual([`${email.id}.eml`]);
      const mail = await simpleParser(readFileSync(join(mailDir, `${email.id}.eml`)));
      expect(mail.headerLines.find((h) => h.key === 'to')?.line).toContain(user.email);
      expect(mail.subject).toMatch(/verify/i);
      expect(mail.text).toContain('Hello Grace Hopper');
      expect(mail.text).toMatch(/\/account\/verify-email\?token=\S+/);
    } finally {
      await stack.stop();
    }
  });
});
