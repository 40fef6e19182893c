import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../../lib/audit/record';
import { requireOperator } from '../../lib/auth/operators';
import type { Viewer } from '../../lib/auth/viewer';
import { isUniqueViolation } from '../../lib/db/errors';
import { AppError, badInput, conflict, forbidden, notFound } from '../../lib/errors';
import { recordEvent } from '../../lib/events/outbox';
import { isUuid } from '../../lib/ids';
import type { Logger } from '../../lib/logger';
import type { InternalClient } from '../../lib/server/internal-client';
import { requiredText } from '../../lib/validation';
import { disputeRoleOf } from './access';
import { DisputeEntity, DisputeMessageEntity, OrderEntity, type DisputeOutcome, type DisputeReason, type DisputeRole } from './entities';
import { applyMove, roleIn } from './transitions';

/** Details, messages and notes: at most this long (the SDL says so too). */
export const MAX_DISPUTE_TEXT = 2000;

const HOLD = `mutation HoldEscrow($orderId: ID!, $disputeId: ID!) { holdEscrow(orderId: $orderId, disputeId: $disputeId) }`;
const DROP = `mutation DropEscrowHold($orderId: ID!, $disputeId: ID!) { dropEscrowHold(orderId: $orderId, disputeId: $disputeId) }`;
const SETTLE = `mutation SettleDispute($orderId: ID!, $disputeId: ID!, $refundAmount: Int, $release: Boolean!) {
  settleDispute(orderId: $orderId, disputeId: $disputeId, refundAmount: $refundAmount, release: $release)
}`;


/** A new dispute of an order, awaiting its seller: a buyer's (BUYER) or a bank's chargeback (PROVIDER). */
export async function insertDispute(
  manager: EntityManager,
  order: OrderEntity,
  opened: Pick<DisputeEntity, 'id' | 'source' | 'reason' | 'details' | 'providerRef' | 'disputedAmount'>,
): Promise<DisputeEntity> {
  const now = new Date();
  const dispute = manager.getRepository(DisputeEntity).create({
    ...opened,
    orderId: order.id,
    buyerId: order.buyerId,
    sellerId: order.sellerId,
    status: 'AWAITING_SELLER',
    previousStatus: order.status,
    currency: order.currency.trim(),
    outcome: null,
    refundedAmount: null,
    resolutionNote: null,
    resolvedBy: null,
    createdAt: now,
    updatedAt: now,
    resolvedAt: null,
  });
  await manager.getRepository(DisputeEntity).insert(dispute);
  return dispute;
}
/**
 * Disputes, orders' side: the dispute, its thread and the order's DISPUTED status live here; the money lives in
 * payments, which orders asks synchronously (an internal call) at the two moments the money must not move
 * behind the dispute's back:
 *  - opening: payments freezes the order's escrow (holdEscrow) while orders holds the order's row lock and
 *    before it commits DISPUTED. The freeze and the release on delivery lock the same row in payments, so a
 *    release that got there first makes the freeze CONFLICT (no dispute opens) and one that comes later waits
 *    for the decision. A dispute whose commit fails after the freeze gives the hold back (dropEscrowHold).
 *  - deciding: payments refunds and releases (settleDispute, idempotent by the dispute's id and refusing a
 *    different second decision) before orders records the dispute RESOLVED and moves the order; a failure
 *    leaves the dispute open, and the operator's retry finishes the same decision.
 */
export class Disputes {
  constructor(
    private readonly db: DataSource,
    private readonly internal: InternalClient,
    private readonly afterCommit: () => void,
    private readonly logger: Logger,
  ) {}

  async open(viewer: Viewer, orderId: string, reason: DisputeReason, details: string): Promise<DisputeEntity> {
    const text = requiredText(details, 'details', { max: MAX_DISPUTE_TEXT });
    if (!isUuid(orderId)) throw notFound('Order');
    const disputeId = randomUUID();
    let held = false;
    try {
      const dispute = await this.db.transaction(async (manager) => {
        const order = await manager.getRepository(OrderEntity).findOne({ where: { id: orderId }, lock: { mode: 'pessimistic_write' } });
        if (!order) throw notFound('Order');
        const role = roleIn(order, viewer);
        if (role !== 'BUYER') throw forbidden(role ? 'Only the buyer of an order can open a dispute about it' : 'Only the buyer and the seller of an order can see it');
        if (order.status === 'DISPUTED' || (await openDisputeOf(manager, orderId))) throw conflict('This order has an open dispute already');
        if (order.status !== 'SHIPPED' && order.status !== 'DELIVERED') {
          throw conflict(`An order that is ${order.status} cannot be disputed: disputes are for orders shipped or delivered whose money is still in escrow`);
        }
        // the freeze, before DISPUTED is committed (see the class comment); from here a failure gives it back, since
        // a call that timed out may have made it (dropping a hold that was never made changes nothing)
        held = true;
        await this.internal.call('payments', HOLD, { orderId, disputeId });
        const dispute = await insertDispute(manager, order, { id: disputeId, source: 'BUYER', reason, details: text, providerRef: null, disputedAmount: order.totalAmount });
        await applyMove(manager, orderId, 'openDispute', 'BUYER');
        await recordEvent(manager, 'orders', 'DisputeOpened', {
          disputeId,
          orderId,
          buyerId: order.buyerId,
          sellerId: order.sellerId,
          source: 'BUYER',
          reason,
          amount: { amount: order.totalAmount, currency: dispute.currency },
          at: dispute.createdAt.toISOString(),
        });
        await recordAudit(manager, 'orders', {
          action: 'dispute.opened',
          actorId: viewer.userId,
          targetType: 'dispute',
          targetId: disputeId,
          details: { orderId, reason },
        });
        return dispute;
      });
      this.afterCommit();
      return dispute;
    } catch (error) {
      if (held) await this.dropHold(orderId, disputeId);
      if (isUniqueViolation(error)) throw conflict('This order has an open dispute already');
      throw error;
    }
  }

  private async dropHold(orderId: string, disputeId: string): Promise<void> {
    try {
      await this.internal.call('payments', DROP, { orderId, disputeId });
    } catch (error) {
      // the hold stays until an operator lifts it: the money cannot leave escrow wrongly, only late
      this.logger.error('a dispute was not opened but its escrow hold could not be dropped', { orderId, disputeId, error });
    }
  }

  /** Buyer, seller or operator, while the dispute is open. The seller's answer puts it UNDER_REVIEW. */
  async addMessage(viewer: Viewer, id: string, body: string): Promise<DisputeEntity> {
    const text = requiredText(body, 'body', { max: MAX_DISPUTE_TEXT });
    if (!isUuid(id)) throw notFound('Dispute');
    const dispute = await this.db.transaction(async (manager) => {
      const dispute = await lockDispute(manager, id);
      const role = disputeRoleOf(dispute, viewer);
      if (!role) throw forbidden('Only the buyer and the seller of the order, and operators, can write in a dispute');
      if (dispute.status === 'RESOLVED') throw conflict('This dispute is resolved: its thread is closed');
      const now = new Date();
      await addToThread(manager, dispute.id, viewer.userId, role, text, now);
      const status = role === 'SELLER' && dispute.status === 'AWAITING_SELLER' ? 'UNDER_REVIEW' : dispute.status;
      await manager.getRepository(DisputeEntity).update({ id }, { status, updatedAt: now });
      await recordEvent(manager, 'orders', 'DisputeMessagePosted', {
        disputeId: id,
        orderId: dispute.orderId,
        buyerId: dispute.buyerId,
        sellerId: dispute.sellerId,
        authorId: viewer.userId,
        role,
        excerpt: text.length > 140 ? `${text.slice(0, 139)}…` : text,
        status,
        at: now.toISOString(),
      });
      return { ...dispute, status, updatedAt: now };
    });
    this.afterCommit();
    return dispute;
  }

  /** Operators: the decision, applied through payments first (see the class comment). */
  async resolve(viewer: Viewer, id: string, outcome: DisputeOutcome, refundAmount: number | null, note: string): Promise<DisputeEntity> {
    requireOperator(viewer);
    const why = requiredText(note, 'note', { max: MAX_DISPUTE_TEXT });
    if (!isUuid(id)) throw notFound('Dispute');
    const { dispute, order } = await this.db.transaction(async (manager) => {
      const dispute = await manager.getRepository(DisputeEntity).findOneBy({ id });
      if (!dispute) throw notFound('Dispute');
      return { dispute, order: await manager.getRepository(OrderEntity).findOneByOrFail({ id: dispute.orderId }) };
    });
    if (dispute.status === 'RESOLVED') throw conflict('This dispute is resolved already');
    if (dispute.source !== 'BUYER') throw conflict('A chargeback is decided by the buyer’s bank: the payment provider reports its outcome');
    if (outcome === 'PARTIAL_REFUND') {
      if (refundAmount === null || !Number.isInteger(refundAmount) || refundAmount <= 0 || refundAmount >= order.totalAmount) {
        throw badInput(`refundAmount must be more than 0 and less than the order's total (${order.totalAmount} minor units)`, 'refundAmount');
      }
    } else if (refundAmount !== null) {
      throw badInput('refundAmount is for PARTIAL_REFUND only', 'refundAmount');
    }
    const request = {
      orderId: dispute.orderId,
      disputeId: id,
      refundAmount: outcome === 'PARTIAL_REFUND' ? refundAmount : outcome === 'RELEASE_TO_SELLER' ? 0 : null,
      release: outcome !== 'REFUND_BUYER',
    };
    let refunded: number;
    try {
      ({ settleDispute: refunded } = await this.internal.call<{ settleDispute: number }>('payments', SETTLE, request));
    } catch (error) {
      // payments' CONFLICT: another operator decided it otherwise a moment ago
      if (error instanceof AppError && error.extensions.code === 'CONFLICT') throw conflict('This dispute has been decided already');
      throw error;
    }
    const resolved = await this.db.transaction(async (manager) => {
      const current = await lockDispute(manager, id);
      if (current.status === 'RESOLVED') {
        // the same decision a moment ago (payments would have refused another): it stands
        if (current.outcome === outcome) return current;
        throw conflict('This dispute has been decided already');
      }
      const now = new Date();
      const changes = { status: 'RESOLVED' as const, outcome, refundedAmount: refunded, resolutionNote: why, resolvedBy: viewer.userId, resolvedAt: now, updatedAt: now };
      await manager.getRepository(DisputeEntity).update({ id }, changes);
      await addToThread(manager, id, viewer.userId, 'OPERATOR', why, now);
      // payments' events move the order too; whichever comes first moves it, the other finds it moved
      await applyMove(manager, current.orderId, outcome === 'REFUND_BUYER' ? 'markRefunded' : 'complete', 'SYSTEM');
      await recordEvent(manager, 'orders', 'DisputeResolved', {
        disputeId: id,
        orderId: current.orderId,
        buyerId: current.buyerId,
        sellerId: current.sellerId,
        source: current.source,
        outcome,
        refunded: { amount: refunded, currency: current.currency.trim() },
        at: now.toISOString(),
      });
      await recordAudit(manager, 'orders', {
        action: 'dispute.resolved',
        actorId: viewer.userId,
        targetType: 'dispute',
        targetId: id,
        details: { orderId: current.orderId, outcome, amount: refunded, currency: current.currency.trim(), note: why },
      });
      return { ...current, ...changes };
    });
    this.afterCommit();
    return resolved;
  }
}

async function lockDispute(manager: EntityManager, id: string): Promise<DisputeEntity> {
  const dispute = await manager.getRepository(DisputeEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  if (!dispute) throw notFound('Dispute');
  return dispute;
}

export async function openDisputeOf(manager: EntityManager, orderId: string): Promise<DisputeEntity | null> {
  return manager
    .getRepository(DisputeEntity)
    .createQueryBuilder('d')
    .where('d.order_id = :orderId AND d.status <> :resolved', { orderId, resolved: 'RESOLVED' })
    .getOne();
}

export async function addToThread(manager: EntityManager, disputeId: string, authorId: string | null, role: DisputeRole, body: string, at: Date): Promise<void> {
  await manager.getRepository(DisputeMessageEntity).insert({ disputeId, authorId, role, body, at });
}
