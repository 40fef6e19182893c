import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { AppError, badInput } from '../../lib/errors';
import { oldestFirst } from '../../lib/db/newest-first';
import type { Connection } from '../../lib/pagination';
import { partyOf } from './access';
import { OrderMessageEntity } from './entities';
import type { Notifier } from './notifier';
import type { Recipients } from './recipients';
import { TEMPLATES } from './templates';

export const MAX_MESSAGE = 2000;
const EXCERPT = 140;

/** The conversation of an order between its buyer and seller; each message tells the other party. */
export class OrderMessages {
  constructor(
    private readonly db: DataSource,
    private readonly notifier: Notifier,
    private readonly recipients: Recipients,
    private readonly perMinute: number,
  ) {}

  async list(viewer: Viewer, orderId: string, first?: number | null, after?: string | null): Promise<Connection<OrderMessageEntity>> {
    await partyOf(this.db, viewer, orderId);
    const rows = () => this.db.getRepository(OrderMessageEntity).createQueryBuilder('m').where('m.order_id = :orderId', { orderId });
    return oldestFirst(rows, `messages:${orderId}`, first, after);
  }

  /** body: 1..2000 characters; more than `perMinute` messages a minute from one user: RATE_LIMITED. */
  async send(viewer: Viewer, orderId: string, rawBody: string): Promise<OrderMessageEntity> {
    const body = rawBody.trim();
    if (body.length === 0 || body.length > MAX_MESSAGE) throw badInput(`body must be 1 to ${MAX_MESSAGE} characters`, 'body');
    const message = await this.db.transaction(async (manager) => {
      const { party, order } = await partyOf(manager, viewer, orderId);
      // one author's messages at a time, so that the count below is exact under concurrent sends
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`messages:${viewer.userId}`]);
      const [{ n }]: { n: number }[] = await manager.query(
        `SELECT count(*)::int AS n FROM order_messages WHERE author_id = $1 AND created_at > now() - interval '1 minute'`,
        [viewer.userId],
      );
      if (n >= this.perMinute) {
        throw new AppError('RATE_LIMITED', `At most ${this.perMinute} messages a minute; wait a moment`, { retryAfterSeconds: 60 });
      }
      const saved = manager.create(OrderMessageEntity, { id: randomUUID(), orderId, authorId: viewer.userId, body, createdAt: new Date() });
      await manager.insert(OrderMessageEntity, saved);
      const otherId = party === 'BUYER' ? await this.recipients.ownerOf(manager, order.sellerId) : order.buyerId;
      const author = await this.recipients.contactOf(manager, viewer.userId);
      if (otherId) {
        const excerpt = body.length > EXCERPT ? `${body.slice(0, EXCERPT - 1)}…` : body;
        const from = author?.displayName ?? (party === 'BUYER' ? 'The buyer' : 'The seller');
        await this.notifier.notify(manager, { userId: otherId, kind: 'NEW_MESSAGE', content: TEMPLATES.NEW_MESSAGE({ orderId, from, excerpt }), orderId });
      }
      return saved;
    });
    this.notifier.committed();
    return message;
  }
}
