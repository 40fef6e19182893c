import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { keptKey } from '../../lib/auth/dev-keys';
import { ConfigError, dataDir, integer, isProduction, optionalString } from '../../lib/config';
import type { Env } from '../../lib/server/subgraph-module';

/** Every setting the notifications subgraph reads, with its default. */
export interface NotificationsConfig {
  /** Where email goes (SMTP_URL, e.g. smtp://localhost:1025); without it, .eml files under `mailDir`. */
  smtpUrl?: string;
  mailDir: string;
  /** The From of every email (MAIL_FROM). */
  mailFrom: string;
  /** Attempts before an email becomes a dead letter (EMAIL_MAX_ATTEMPTS). */
  emailMaxAttempts: number;
  /** The first retry's delay; each next one doubles it (EMAIL_RETRY_DELAY_SECONDS). */
  emailRetryDelaySeconds: number;
  /** Emails one instance sends at once (EMAIL_CONCURRENCY). */
  emailConcurrency: number;
  /** Signs unsubscribe links (NOTIFICATIONS_SIGNING_KEY); development keeps a generated one, production requires it. */
  signingKey: string;
  /** Messages one user may send a minute, over all orders (ORDER_MESSAGES_PER_MINUTE). */
  messagesPerMinute: number;
  /** Events one instance handles at once (NOTIFICATIONS_EVENT_CONCURRENCY). */
  eventConcurrency: number;
}

export function notificationsConfig(env: Env): NotificationsConfig {
  const signingKey =
    optionalString('NOTIFICATIONS_SIGNING_KEY', env) ??
    (isProduction(env) ? undefined : keptKey('notifications-signing.key', () => randomBytes(32).toString('base64url'), env));
  if (!signingKey) throw new ConfigError('NOTIFICATIONS_SIGNING_KEY must be set in production');
  const emailMaxAttempts = integer('EMAIL_MAX_ATTEMPTS', 6, env);
  if (emailMaxAttempts < 1) throw new ConfigError('EMAIL_MAX_ATTEMPTS must be at least 1');
  return {
    smtpUrl: optionalString('SMTP_URL', env),
    mailDir: join(dataDir(env), 'mail'),
    mailFrom: optionalString('MAIL_FROM', env) ?? 'Marketplace <no-reply@marketplace.localhost>',
    emailMaxAttempts,
    emailRetryDelaySeconds: integer('EMAIL_RETRY_DELAY_SECONDS', 30, env),
    emailConcurrency: Math.max(1, integer('EMAIL_CONCURRENCY', 4, env)),
    signingKey,
    messagesPerMinute: integer('ORDER_MESSAGES_PER_MINUTE', 30, env),
    eventConcurrency: Math.max(1, integer('NOTIFICATIONS_EVENT_CONCURRENCY', 2, env)),
  };
}
