import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message as the SMTP server received it. */
export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** A header as it was sent (mailparser folds some, List-* among them, into structures of its own). */
  header(name: string): string | undefined;
}

const rawHeader = (mail: ParsedMail, name: string): string | undefined => {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n\s+/g, ' ').trim();
};

/**
 * A real SMTP server in the test process (smtp-server, parsed with mailparser), on a fixed port once
 * started so that it can be stopped and started again where the mailer expects it. `refuse` makes it
 * answer every message with a permanent 550.
 */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  /** Answer every message with 550 (a mailbox refused for good). */
  refuse = false;
  private server?: SMTPServer;

  /** Port 0 picks a free one at the first start. */
  constructor(private port = 0) {}

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // stop() closes at once, as a server going down would, instead of waiting for the mailer's pooled connections
      closeTimeout: 100,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            if (this.refuse) {
              const error = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 });
              return callback(error);
            }
            this.received.push({
              to: Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? ''),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              messageId: mail.messageId ?? '',
              header: (name) => rawHeader(mail, name),
            });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Closes the server and every open connection (the mailer sees it down). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Mail to one address, with `subject` containing the given text when given. */
  to(address: string, subject?: string | RegExp): ReceivedMail[] {
    return this.received.filter(
      (mail) => mail.to.includes(address) && (subject === undefined || (typeof subject === 'string' ? mail.subject.includes(subject) : subject.test(mail.subject))),
    );
  }
}
