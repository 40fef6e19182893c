import type { DataSource } from 'typeorm';
import { recordAudit } from '../../lib/audit/record';
import { requireOperator } from '../../lib/auth/operators';
import type { Viewer } from '../../lib/auth/viewer';
import { conflict, notFound } from '../../lib/errors';
import { recordEvent, type OutboxRelay } from '../../lib/events/outbox';
import { isUuid } from '../../lib/ids';
import { requiredText } from '../../lib/validation';
import { SellerEntity, type SellerStatus } from './entities';

export const MAX_SUSPENSION_REASON = 1000;

/**
 * Operators suspend a shop and reinstate it. Accounts holds the standing; the others hear of it by
 * SellerStatusChanged, written in the same transaction as the change with its audit entry: listings
 * takes the shop's listings out of search and checkout, payments pauses its transfers, notifications
 * tells the seller. Not idempotent on purpose: suspending a suspended shop or reinstating an active
 * one is CONFLICT, so that an operator never believes they did what someone else had done (and the
 * audit log records only real changes).
 */
export class SellerStanding {
  constructor(
    private readonly db: DataSource,
    private readonly outbox: Pick<OutboxRelay, 'wake'>,
  ) {}

  suspend(viewer: Viewer, sellerId: string, reasonInput: string): Promise<SellerEntity> {
    requireOperator(viewer);
    const reason = requiredText(reasonInput, 'reason', { max: MAX_SUSPENSION_REASON });
    return this.change(viewer, sellerId, 'SUSPENDED', reason);
  }

  reinstate(viewer: Viewer, sellerId: string): Promise<SellerEntity> {
    requireOperator(viewer);
    return this.change(viewer, sellerId, 'ACTIVE', null);
  }

  private async change(viewer: Viewer, sellerId: string, status: SellerStatus, reason: string | null): Promise<SellerEntity> {
    if (!isUuid(sellerId)) throw notFound('Seller');
    const seller = await this.db.transaction(async (manager) => {
      const sellers = manager.getRepository(SellerEntity);
      // locked: two operators acting at once are ordered, and the second one gets CONFLICT
      const current = await sellers.findOne({ where: { id: sellerId }, lock: { mode: 'pessimistic_write' } });
      if (!current) throw notFound('Seller');
      if (current.status === status) {
        throw conflict(status === 'SUSPENDED' ? 'This seller is suspended already' : 'This seller is not suspended');
      }
      // never earlier than the last change: other subgraphs keep the newest standing by this time
      const at = new Date(Math.max(Date.now(), (current.statusChangedAt?.getTime() ?? 0) + 1));
      await sellers.update({ id: sellerId }, { status, suspensionReason: reason, statusChangedAt: at });
      await recordEvent(manager, 'accounts', 'SellerStatusChanged', {
        sellerId,
        userId: current.userId,
        status,
        reason,
        by: viewer.userId,
        at: at.toISOString(),
      });
      await recordAudit(manager, 'accounts', {
        action: status === 'SUSPENDED' ? 'seller.suspended' : 'seller.reinstated',
        actorId: viewer.userId,
        targetType: 'seller',
        targetId: sellerId,
        details: reason ? { reason, shopName: current.shopName } : { shopName: current.shopName },
      });
      return sellers.findOneByOrFail({ id: sellerId });
    });
    this.outbox.wake();
    return seller;
  }
}
