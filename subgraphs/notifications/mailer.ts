import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../../lib/logger';

/** One email as the queue hands it to the mailer: rendered when the notification was made. */
export interface OutgoingEmail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** One-click unsubscribe (RFC 8058); absent for what cannot be turned off. */
  unsubscribeUrl: string | null;
}

/** An answer that retrying cannot change: the server refused this message or mailbox for good (5xx). */
export function isPermanentFailure(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * Sends email with nodemailer: over SMTP when SMTP_URL is set (a pool of connections, reopened when
 * the server comes back), else into .eml files under the data directory, which any mail client opens,
 * so that a developer without a mail server still sees what would have gone out.
 */
export class Mailer {
  private readonly transport: Transporter;

  constructor(
    private readonly options: { smtpUrl?: string; mailDir: string; from: string; connections: number },
    logger: Logger,
  ) {
    this.transport = options.smtpUrl
      ? nodemailer.createTransport({ url: options.smtpUrl, pool: true, maxConnections: options.connections })
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    if (!options.smtpUrl) {
      mkdirSync(options.mailDir, { recursive: true });
      logger.info('SMTP_URL is not set: emails are written as .eml files', { directory: options.mailDir });
    }
  }

  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    const domain = /@([^>\s]+)>?$/.exec(this.options.from)?.[1] ?? 'marketplace.localhost';
    // the same id on every attempt: a receiver that got a message twice (a lost acknowledgement) can tell
    const messageId = `<${email.id}@${domain}>`;
    const info = await this.transport.sendMail({
      from: this.options.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId,
      headers: email.unsubscribeUrl
        ? { 'List-Unsubscribe': `<${email.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
        : {},
    });
    if (!this.options.smtpUrl) writeFileSync(join(this.options.mailDir, `${email.id}.eml`), info.message as Buffer);
    return { messageId };
  }

  close(): void {
    this.transport.close();
  }
}
