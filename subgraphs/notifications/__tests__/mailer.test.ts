import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { createLogger } from '../../../lib/logger';
import { renderEmail } from '../email-layout';
import { isPermanentFailure, Mailer } from '../mailer';

/** Without SMTP_URL (the embedded default), what would have been sent is written as .eml files a mail client opens. */
test('without SMTP, each email is an .eml file under the data directory, named by its id, with its headers', async () => {
  const mailDir = join(mkdtempSync(join(tmpdir(), 'mailer-')), 'mail');
  const mailer = new Mailer({ mailDir, from: 'Market <no-reply@market.example>', connections: 1 }, createLogger());
  const parts = renderEmail({ title: 'Low stock: <Lamp>', body: 'Only 2 left of "Lamp".' }, {
    name: 'Ada',
    appUrl: 'http://localhost:4000',
    unsubscribeUrl: 'http://localhost:4000/notifications/unsubscribe?token=abc',
  });
  const { messageId } = await mailer.send({ id: '6f1c9a52-1d3e-4c1b-9a55-2f0d2c7b8e11', to: 'ada@example.com', unsubscribeUrl: 'http://localhost:4000/notifications/unsubscribe?token=abc', ...parts });
  expect(readdirSync(mailDir)).toEqual(['6f1c9a52-1d3e-4c1b-9a55-2f0d2c7b8e11.eml']);
  const mail = await simpleParser(readFileSync(join(mailDir, '6f1c9a52-1d3e-4c1b-9a55-2f0d2c7b8e11.eml')));
  expect(mail.messageId).toBe(messageId);
  expect(messageId).toBe('<6f1c9a52-1d3e-4c1b-9a55-2f0d2c7b8e11@market.example>');
  expect(mail.subject).toBe('Low stock: <Lamp>');
  expect(mail.text).toContain('Hello Ada,');
  // the HTML escapes what the words hold
  expect(mail.html).toContain('Low stock: &lt;Lamp&gt;');
  expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  mailer.close();
});

test('only a 5xx answer is a refusal for good; everything else is worth retrying', () => {
  expect(isPermanentFailure(Object.assign(new Error('no such mailbox'), { responseCode: 550 }))).toBe(true);
  expect(isPermanentFailure(Object.assign(new Error('try later'), { responseCode: 451 }))).toBe(false);
  expect(isPermanentFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' }))).toBe(false);
});
