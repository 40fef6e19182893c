import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { recordEvent } from '../../lib/events/outbox';
import type { EmailQueue } from './email-queue';
import { renderEmail } from './email-layout';
import type { NotificationKind } from './kinds';
import type { Preferences } from './preferences';
import type { Contact, Recipients } from './recipients';
import type { Content } from './templates';
import type { UnsubscribeLinks } from './unsubscribe';

export interface Notice {
  userId: string;
  kind: NotificationKind;
  content: Content;
  orderId?: string | null;
}

/**
 * Makes notifications, in the caller's transaction (the consumer's, whose processed-event row makes an
 * event count once): in the app (and live, through NotificationCreated) and by email (a queued job)
 * as the recipient's preferences say. Call `committed` after the transaction.
 */
export class Notifier {
  constructor(
    private readonly recipients: Recipients,
    private readonly preferences: Preferences,
    private readonly queue: EmailQueue,
    private readonly unsubscribe: UnsubscribeLinks,
    private readonly publicUrl: () => string,
    /** Wakes the outbox relay: live notifications leave now. */
    private readonly afterCommit: () => void,
  ) {}

  async notify(manager: EntityManager, notice: Notice): Promise<void> {
    const where = await this.preferences.of(manager, notice.userId, notice.kind);
    if (!where.inApp && !where.email) return;
    const id = randomUUID();
    const createdAt = new Date();
    const orderId = notice.orderId ?? null;
    await manager.query(
      `INSERT INTO notifications (id, user_id, kind, title, body, order_id, in_app, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, notice.userId, notice.kind, notice.content.title, notice.content.body, orderId, where.inApp, createdAt],
    );
    if (where.inApp) {
      await recordEvent(manager, 'notifications', 'NotificationCreated', {
        id,
        userId: notice.userId,
        kind: notice.kind,
        ...notice.content,
        orderId,
        createdAt: createdAt.toISOString(),
      });
    }
    if (!where.email) return;
    const contact = await this.recipients.contactOf(manager, notice.userId);
    if (contact) await this.email(manager, notice.userId, contact, notice.content, { notificationId: id, kind: notice.kind });
  }

  /** An email that is no notification (a verification or reset link): always sent, no unsubscribe. */
  async emailOnly(manager: EntityManager, userId: string, contact: Contact, content: Content): Promise<void> {
    await this.email(manager, userId, contact, content, {});
  }

  private async email(
    manager: EntityManager,
    userId: string,
    contact: Contact,
    content: Content,
    about: { notificationId?: string; kind?: NotificationKind },
  ): Promise<void> {
    const unsubscribeUrl = about.kind ? this.unsubscribe.linkFor(userId, about.kind) : null;
    const parts = renderEmail(content, { name: contact.displayName, appUrl: this.publicUrl(), unsubscribeUrl });
    const emailId = randomUUID();
    await manager.query(
      `INSERT INTO emails (id, notification_id, user_id, to_address, subject, text_body, html_body, unsubscribe_url)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [emailId, about.notificationId ?? null, userId, contact.email, parts.subject, parts.text, parts.html, unsubscribeUrl],
    );
    await this.queue.enqueue(manager, [emailId]);
  }

  /** After the transaction that notified: its live events and emails go now rather than at the next poll. */
  committed(): void {
    this.afterCommit();
    this.queue.wake();
  }
}
