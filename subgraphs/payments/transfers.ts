import { randomUUID } from 'node:crypto';
import { In, type DataSource, type EntityManager } from 'typeorm';
import type { Logger } from '../../lib/logger';
import { startPeriodic } from '../../lib/periodic';
import { PaymentEntity, PaymentOrderEntity, RefundEntity, TransferEntity, type PayoutSchedule } from './entities';
import { postTransaction, releasedToSeller, transferEntries } from './ledger';
import { transferCutoff, type PayoutSchedules } from './payout-schedules';
import { PaymentRefusedError, type PaymentProvider } from './provider';
import { recordEvent } from '../../lib/events/outbox';

/** A released order not yet paid is tried again by the sweep this long after its release (the release tries first). */
export const TRANSFER_RETRY_AFTER_MS = 60_000;
/** After the provider refused a seller's transfer, the sweep waits this long before it makes a new one. */
export const REFUSED_TRANSFER_BACKOFF_MS = 10 * 60_000;
const SWEEP_PAGE = 100;

/** What one attempt at paying an order came to. */
export type TransferOutcome = 'transferred' | 'nothing' | 'not-enabled' | 'scheduled' | 'waiting';

/**
 * Transfers of released money to sellers, in three steps so that the provider is never called inside
 * a database transaction:
 *   1. begin: under the orders' row locks, fix each order's share (what the ledger holds for the
 *      seller from it: the released net less refunds since), write a PENDING transfer with an
 *      idempotency key of its own, and move the shares from available to paid out in the ledger;
 *      from then until the provider confirms, refunds of those orders wait;
 *   2. send: ask the provider with the transfer's key; a retry after a lost answer is the same
 *      transfer there, never a second one;
 *   3. confirm: PAID, with the provider's reference. A refusal did nothing: the transfer is FAILED,
 *      its shares go back to available (TRANSFER_RETURNED), and a new transfer with a new key pays
 *      them later. An unknown outcome (a timeout, a 5xx) stays PENDING and is asked again.
 * Sellers are paid only while their payouts are ENABLED; PER_ORDER sellers when each order is
 * released, DAILY and WEEKLY ones by the sweep at the end of each period.
 */
export class SellerTransfers {
  constructor(
    private readonly db: DataSource,
    private readonly provider: PaymentProvider,
    private readonly schedules: PayoutSchedules,
    /** Whether the seller can be paid now (their payout account is ENABLED). */
    private readonly canBePaid: (sellerId: string) => Promise<boolean>,
    private readonly logger: Logger,
  ) {}

  /**
   * An order was released: a PER_ORDER seller is paid now. Throws the provider's refusal (the
   * transfer is FAILED) or a failure whose outcome is unknown (it stays PENDING for the sweep).
   */
  async afterRelease(orderId: string): Promise<TransferOutcome> {
    const order = await this.db.transaction((m) => m.getRepository(PaymentOrderEntity).findOneBy({ orderId }));
    if (!order?.releasedNet) return 'nothing';
    let transferId = order.transferId;
    if (!transferId) {
      if (!(await this.canBePaid(order.sellerId))) return 'not-enabled';
      const schedule = await this.schedules.of(order.sellerId);
      if (schedule !== 'PER_ORDER') return 'scheduled';
      // the order's own transfer, or (none made here) the one a concurrent call made meanwhile
      [transferId] = await this.begin(order.sellerId, schedule, new Date(), orderId);
      transferId ??= (await this.db.transaction((m) => m.getRepository(PaymentOrderEntity).findOneBy({ orderId })))?.transferId ?? null;
    }
    // refunded in full since, or a refund being settled goes first (the sweep pays the rest after it)
    if (!transferId) return 'waiting';
    return this.send(transferId);
  }

  /**
   * The sweep: unsent transfers asked again, and transfers made for what waited (sellers newly
   * enabled, a provider that was down or refused, periods that ended). Returns how many were paid.
   * `sellerId` narrows it to one seller; `now` is the clock the periods end by.
   */
  async retryTransfers(olderThanMs = TRANSFER_RETRY_AFTER_MS, sellerId?: string, now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - olderThanMs);
    let paid = 0;
    const unsent: { id: string }[] = await this.db.transaction((m) =>
      m.query(
        `SELECT id FROM transfers WHERE status = 'PENDING' AND created_at <= $1 AND ($2::uuid IS NULL OR seller_id = $2) ORDER BY created_at LIMIT ${SWEEP_PAGE}`,
        [before, sellerId ?? null],
      ),
    );
    for (const { id } of unsent) paid += await this.trying(() => this.send(id), { transferId: id });
    for (const seller of await this.sellersWaiting(before, sellerId, now)) {
      if (!(await this.canBePaid(seller))) continue;
      const made = await this.begin(seller, await this.schedules.of(seller), now);
      for (const id of made) paid += await this.trying(() => this.send(id), { transferId: id });
    }
    return paid;
  }

  /** Sellers with released orders in no transfer, released before `before`, not refused lately. */
  private async sellersWaiting(before: Date, sellerId: string | undefined, now: Date): Promise<string[]> {
    const rows: { seller_id: string }[] = await this.db.transaction((m) =>
      m.query(
        `SELECT DISTINCT o.seller_id FROM payment_orders o
         WHERE o.released_net > 0 AND o.transfer_id IS NULL AND o.transfer_ref IS NULL AND (o.transfer_amount IS NULL OR o.transfer_amount > 0)
           AND o.released_at <= $1 AND ($2::uuid IS NULL OR o.seller_id = $2)
           AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.seller_id = o.seller_id AND t.status = 'FAILED' AND t.updated_at > $3)
         LIMIT ${SWEEP_PAGE}`,
        [before, sellerId ?? null, new Date(now.getTime() - REFUSED_TRANSFER_BACKOFF_MS)],
      ),
    );
    return rows.map((r) => r.seller_id);
  }

  private async trying(send: () => Promise<TransferOutcome>, context: Record<string, unknown>): Promise<number> {
    try {
      return (await send()) === 'transferred' ? 1 : 0;
    } catch (error) {
      this.logger.warn('a seller’s transfer could not be made; will retry', { ...context, error });
      return 0;
    }
  }

  /** Runs retryTransfers every intervalMs; returns how to stop it. */
  startRetrying(intervalMs: number): () => Promise<void> {
    return startPeriodic('retrying transfers', intervalMs, () => this.retryTransfers(), this.logger);
  }

  /** A seller's payouts were just enabled: what waited for them goes out now rather than at the next sweep. */
  payWaiting(sellerId: string): void {
    this.retryTransfers(0, sellerId).catch((error: unknown) => this.logger.warn('paying a newly enabled seller failed; the sweep retries', { sellerId, error }));
  }

  /** Step 1 for one seller: the transfers their schedule makes due now (one per order, or one per currency). */
  private async begin(sellerId: string, schedule: PayoutSchedule, now: Date, onlyOrderId?: string): Promise<string[]> {
    const cutoff = transferCutoff(schedule, now);
    return this.db.transaction(async (m) => {
      const orders = await m
        .getRepository(PaymentOrderEntity)
        .createQueryBuilder('o')
        .where('o.seller_id = :sellerId AND o.released_net > 0 AND o.transfer_id IS NULL AND o.transfer_ref IS NULL', { sellerId })
        .andWhere('(o.transfer_amount IS NULL OR o.transfer_amount > 0) AND o.released_at <= :cutoff', { cutoff })
        .andWhere(onlyOrderId ? 'o.order_id = :onlyOrderId' : 'TRUE', { onlyOrderId })
        .orderBy('o.released_at')
        .addOrderBy('o.order_id')
        .setLock('pessimistic_write')
        .getMany();
      const shares: { order: PaymentOrderEntity; amount: number }[] = [];
      for (const order of orders) {
        // a refund reserved before the transfer settles without a reversal: the share must count it
        if (await m.getRepository(RefundEntity).existsBy({ orderId: order.orderId, status: 'PENDING' })) continue;
        const amount = await releasedToSeller(m, order);
        if (amount < 0 || amount > order.releasedNet!) {
          throw new Error(`order ${order.orderId}: the ledger holds ${amount} for its seller, of ${order.releasedNet} released`);
        }
        if (amount === 0) await m.getRepository(PaymentOrderEntity).update({ orderId: order.orderId }, { transferAmount: 0 });
        else shares.push({ order, amount });
      }
      const groups = schedule === 'PER_ORDER' ? shares.map((share) => [share]) : [...groupBy(shares, (s) => s.order.currency).values()];
      const made: string[] = [];
      for (const group of groups) made.push(await this.make(m, sellerId, group, now));
      return made;
    });
  }

  private async make(m: EntityManager, sellerId: string, shares: { order: PaymentOrderEntity; amount: number }[], now: Date): Promise<string> {
    const id = randomUUID();
    const currency = shares[0].order.currency;
    await m.getRepository(TransferEntity).insert({
      id,
      sellerId,
      currency,
      amount: shares.reduce((sum, s) => sum + s.amount, 0),
      status: 'PENDING',
      idempotencyKey: `transfer:${id}`,
      providerRef: null,
      reversedAmount: 0,
      attempts: 0,
      failure: null,
      createdAt: now,
      updatedAt: now,
      paidAt: null,
    });
    for (const { order, amount } of shares) {
      await m.getRepository(PaymentOrderEntity).update({ orderId: order.orderId }, { transferId: id, transferAmount: amount });
    }
    await postTransaction(m, {
      reference: `transfer:${id}`,
      kind: 'TRANSFER',
      paymentId: shares.length === 1 ? shares[0].order.paymentId : null,
      orderId: shares.length === 1 ? shares[0].order.orderId : null,
      entries: transferEntries(sellerId, currency, shares.map((s) => ({ orderId: s.order.orderId, amount: s.amount }))),
    });
    return id;
  }

  /** Steps 2 and 3 for a PENDING transfer. */
  async send(transferId: string): Promise<TransferOutcome> {
    const loaded = await this.db.transaction(async (m) => {
      const transfer = await m.getRepository(TransferEntity).findOneBy({ id: transferId });
      if (transfer?.status !== 'PENDING') return null;
      const orders = await m.getRepository(PaymentOrderEntity).findBy({ transferId });
      // one order: the transfer is tied to its charge (Stripe's source_transaction and transfer_group)
      const payment = orders.length === 1 ? await m.getRepository(PaymentEntity).findOneBy({ id: orders[0].paymentId }) : null;
      return { transfer, payment };
    });
    if (!loaded) return 'nothing';
    const { transfer, payment } = loaded;
    // disabled since it was made (RESTRICTED): it waits, made, until the seller is enabled again
    if (!(await this.canBePaid(transfer.sellerId))) return 'not-enabled';
    let reference: string;
    try {
      ({ reference } = await this.provider.transfer({
        chargeReference: payment?.chargeRef ?? null,
        transferGroup: payment?.purchaseId ?? `payout:${transfer.id}`,
        sellerId: transfer.sellerId,
        amount: { amount: transfer.amount, currency: transfer.currency },
        transferId: transfer.id,
        idempotencyKey: transfer.idempotencyKey,
      }));
    } catch (error) {
      if (error instanceof PaymentRefusedError) await this.refused(transfer, error);
      else await this.attempted(transfer.id, error);
      throw error;
    }
    await this.db.transaction(async (m) => {
      const confirmed = await m
        .getRepository(TransferEntity)
        .update({ id: transfer.id, status: 'PENDING' }, { status: 'PAID', providerRef: reference, paidAt: new Date(), updatedAt: new Date(), failure: null, attempts: transfer.attempts + 1 });
      if (!confirmed.affected) return;
      await m.getRepository(PaymentOrderEntity).update({ transferId: transfer.id }, { transferRef: reference });
      // the seller hears that money is on its way (the outbox's poll publishes it: a transfer is not urgent to the second)
      await recordEvent(m, 'payments', 'TransferSent', {
        transferId: transfer.id,
        sellerId: transfer.sellerId,
        amount: { amount: transfer.amount, currency: transfer.currency },
        at: new Date().toISOString(),
      });
    });
    return 'transferred';
  }

  /** The outcome is unknown: the transfer stays PENDING, to be asked again with the same key. */
  private async attempted(transferId: string, error: unknown): Promise<void> {
    await this.db.transaction((m) =>
      m.query(`UPDATE transfers SET attempts = attempts + 1, failure = $2, updated_at = now() WHERE id = $1 AND status = 'PENDING'`, [
        transferId,
        String((error as Error).message ?? error).slice(0, 500),
      ]),
    );
  }

  /** The provider refused: nothing was sent. FAILED, and its shares back in available for a new transfer. */
  private async refused(transfer: TransferEntity, error: PaymentRefusedError): Promise<void> {
    await this.db.transaction(async (m) => {
      const current = await m.getRepository(TransferEntity).findOne({ where: { id: transfer.id }, lock: { mode: 'pessimistic_write' } });
      if (current?.status !== 'PENDING') return;
      const orders = await m.getRepository(PaymentOrderEntity).findBy({ transferId: transfer.id });
      await m.getRepository(TransferEntity).update(
        { id: transfer.id },
        { status: 'FAILED', failure: error.message.slice(0, 500), attempts: current.attempts + 1, updatedAt: new Date() },
      );
      await m.getRepository(PaymentOrderEntity).update({ orderId: In(orders.map((o) => o.orderId)) }, { transferId: null, transferAmount: null });
      await postTransaction(m, {
        reference: `transfer-returned:${transfer.id}`,
        kind: 'TRANSFER_RETURNED',
        paymentId: orders.length === 1 ? orders[0].paymentId : null,
        orderId: orders.length === 1 ? orders[0].orderId : null,
        entries: transferEntries(transfer.sellerId, transfer.currency, orders.map((o) => ({ orderId: o.orderId, amount: o.transferAmount! })), true),
      });
    });
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(item);
  }
  return groups;
}
