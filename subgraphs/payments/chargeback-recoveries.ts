/**
 * The recovery of a lost chargeback from a seller who was already paid: chargebacks.ts books what was paid out as
 * the platform's loss with the close and writes the intent here (chargeback_recoveries); once the close commits,
 * the seller's transfer is reversed for it (taken back from their connected account's balance, as Stripe Connect
 * platforms do), since a provider call has no place in a database transaction. The reversal is asked with a key
 * of the chargeback and order, and a second CHARGEBACK transaction moves what came back out of the loss. If the
 * provider refuses (the seller's balance cannot cover it), the platform bears it, logged.
 *
 * A recovery whose outcome is unknown (a timeout, a 5xx) fails the close's delivery, so that Stripe delivers the
 * close again and the recovery is asked again with the same key: the seller is charged once whatever happened.
 * What Stripe stops redelivering is the sweep's (retryPending).
 */
import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../../lib/audit/record';
import { returnedRows } from '../../lib/db/affected';
import type { Logger } from '../../lib/logger';
import { startPeriodic } from '../../lib/periodic';
import { PaymentOrderEntity, TransferEntity } from './entities';
import { accounts, paidOutToSeller, postTransaction, releasedToSeller } from './ledger';
import { PaymentRefusedError, type PaymentProvider } from './provider';

interface RecoveryRow {
  seller_id: string;
  currency: string;
  amount: number;
}

/**
 * How long a delivery that is asking the provider for a recovery keeps it to itself: a concurrent delivery of
 * the same close leaves it alone meanwhile, and one after a crash finds it free again.
 */
const RECOVERY_CLAIM_SECONDS = 60;
/**
 * A recovery still PENDING this long after the close is the sweep's too: Stripe stops delivering a failing close
 * after three days, and a seller's transfer may stay unconfirmed longer (their payouts disabled meanwhile).
 */
export const RECOVERY_RETRY_AFTER_MS = 10 * 60_000;

/** Lost chargebacks' recoveries from sellers' transfers, one per chargeback and order. */
export class ChargebackRecoveries {
  constructor(
    private readonly db: DataSource,
    private readonly provider: PaymentProvider,
    private readonly afterCommit: () => void,
    private readonly logger: Logger,
  ) {}

  /**
   * In the close's transaction: the intent to take back what of `lost` the order's transfer can still give
   * (PENDING, asked once the close commits). Returns that amount; the rest is the platform's.
   */
  async record(manager: EntityManager, chargebackRef: string, order: PaymentOrderEntity, lost: number): Promise<number> {
    const reversible = Math.min(lost, await reversibleOf(manager, order));
    if (reversible > 0) {
      await manager.query(
        `INSERT INTO chargeback_recoveries (chargeback_ref, order_id, seller_id, currency, amount, status) VALUES ($1, $2, $3, $4, $5, 'PENDING')
         ON CONFLICT DO NOTHING`,
        [chargebackRef, order.orderId, order.sellerId, order.currency, reversible],
      );
    }
    return reversible;
  }

  /** Asks again for recoveries left PENDING longer than olderThanMs, whichever chargeback they are of. */
  async retryPending(olderThanMs = RECOVERY_RETRY_AFTER_MS): Promise<number> {
    const stale: { chargeback_ref: string; order_id: string }[] = await this.db.transaction((m) =>
      m.query(`SELECT chargeback_ref, order_id FROM chargeback_recoveries WHERE status = 'PENDING' AND created_at <= $1 ORDER BY created_at LIMIT 100`, [
        new Date(Date.now() - olderThanMs),
      ]),
    );
    for (const { chargeback_ref: chargebackRef, order_id: orderId } of stale) {
      try {
        await this.recover(chargebackRef, orderId);
      } catch (error) {
        this.logger.warn('a lost chargeback’s recovery from the seller could not be finished; will retry', { chargeback: chargebackRef, orderId, error });
      }
    }
    return stale.length;
  }

  /** Runs retryPending every intervalMs; returns how to stop it. */
  startRetrying(intervalMs: number): () => Promise<void> {
    return startPeriodic('retrying chargeback recoveries', intervalMs, () => this.retryPending(), this.logger);
  }

  /**
   * Asks the provider for each PENDING recovery of the chargeback. One that cannot finish now is left PENDING and
   * the first such failure thrown once the others were tried: the webhook answers 500, and Stripe's redelivery
   * asks again.
   */
  async recoverLost(chargebackRef: string): Promise<void> {
    const pending: { order_id: string }[] = await this.db.transaction((m) =>
      m.query(`SELECT order_id FROM chargeback_recoveries WHERE chargeback_ref = $1 AND status = 'PENDING' ORDER BY order_id`, [chargebackRef]),
    );
    let failure: unknown = null;
    for (const { order_id: orderId } of pending) {
      try {
        await this.recover(chargebackRef, orderId);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw failure;
  }

  /** One order's recovery: claimed, asked of the provider, then settled (or refused) in the books. */
  private async recover(chargebackRef: string, orderId: string): Promise<void> {
    const claimed = await this.db.transaction(async (m) => {
      const [recovery] = returnedRows<RecoveryRow>(
        await m.query(
          `UPDATE chargeback_recoveries SET claimed_until = now() + make_interval(secs => $3), attempts = attempts + 1
           WHERE chargeback_ref = $1 AND order_id = $2 AND status = 'PENDING' AND (claimed_until IS NULL OR claimed_until < now())
           RETURNING seller_id, currency, amount`,
          [chargebackRef, orderId, RECOVERY_CLAIM_SECONDS],
        ),
      );
      if (!recovery) return null;
      const order = await m.getRepository(PaymentOrderEntity).findOneByOrFail({ orderId });
      const transfer = order.transferId ? await m.getRepository(TransferEntity).findOneBy({ id: order.transferId }) : null;
      return { recovery, transfer };
    });
    // settled already, or another delivery is asking right now
    if (!claimed) return;
    const { recovery, transfer } = claimed;
    const context = { chargeback: chargebackRef, orderId, sellerId: recovery.seller_id, amount: recovery.amount };
    if (!transfer) {
      // the provider refused the transfer since the close, and its share went back to available: taken from there
      return this.settleRecovery(chargebackRef, orderId, null);
    }
    if (!transfer.providerRef) {
      await this.releaseClaim(chargebackRef, orderId, 'the seller’s transfer is not confirmed yet');
      throw new Error(`chargeback ${chargebackRef}: the transfer of order ${orderId} is not confirmed yet; its recovery waits for it`);
    }
    let reversal: string;
    try {
      ({ reference: reversal } = await this.provider.reverseTransfer({
        transferReference: transfer.providerRef,
        amount: { amount: recovery.amount, currency: recovery.currency },
        metadata: { chargeback: chargebackRef, order_id: orderId },
        idempotencyKey: `chargeback:${chargebackRef}:${orderId}:reversal`,
      }));
    } catch (error) {
      if (error instanceof PaymentRefusedError) {
        // nothing was taken back: the loss booked with the close stays the platform's
        await this.db.transaction((m) =>
          m.query(
            `UPDATE chargeback_recoveries SET status = 'REFUSED', failure = $3, claimed_until = NULL, settled_at = now()
             WHERE chargeback_ref = $1 AND order_id = $2 AND status = 'PENDING'`,
            [chargebackRef, orderId, error.message.slice(0, 500)],
          ),
        );
        this.logger.warn('the provider refused to take a lost chargeback back from the seller’s transfer: the platform bears it', { ...context, error });
        return;
      }
      // the reversal may have been made: only the same key may ask again, at the next delivery
      await this.releaseClaim(chargebackRef, orderId, String((error as Error).message ?? error));
      this.logger.warn('a lost chargeback’s recovery from the seller has an unknown outcome; asked again at the next delivery', { ...context, error });
      throw error;
    }
    await this.settleRecovery(chargebackRef, orderId, { transfer, reversal });
  }

  private async releaseClaim(chargebackRef: string, orderId: string, failure: string): Promise<void> {
    await this.db.transaction((m) =>
      m.query(`UPDATE chargeback_recoveries SET claimed_until = NULL, failure = $3 WHERE chargeback_ref = $1 AND order_id = $2 AND status = 'PENDING'`, [
        chargebackRef,
        orderId,
        failure.slice(0, 500),
      ]),
    );
  }

  /**
   * What came back leaves the platform's loss: from paid out (the transfer was reversed), or from available when
   * the transfer was refused meanwhile. Once, under the recovery's lock and by the ledger reference.
   */
  private async settleRecovery(chargebackRef: string, orderId: string, reversed: { transfer: TransferEntity; reversal: string } | null): Promise<void> {
    await this.db.transaction(async (m) => {
      const [recovery]: (RecoveryRow & { status: string })[] = await m.query(
        `SELECT seller_id, currency, amount, status FROM chargeback_recoveries WHERE chargeback_ref = $1 AND order_id = $2 FOR UPDATE`,
        [chargebackRef, orderId],
      );
      if (recovery?.status !== 'PENDING') return;
      const order = (await m.getRepository(PaymentOrderEntity).findOne({ where: { orderId }, lock: { mode: 'pessimistic_write' } }))!;
      // from available, no more than the order has left there (a new transfer is made under this same lock)
      const amount = reversed ? recovery.amount : Math.min(recovery.amount, Math.max(await releasedToSeller(m, order), 0));
      const from = reversed ? accounts.paidOut(recovery.seller_id) : accounts.seller(recovery.seller_id);
      await m.query(
        `UPDATE chargeback_recoveries SET status = 'RECOVERED', transfer_id = $3, provider_ref = $4, claimed_until = NULL, failure = NULL, settled_at = now()
         WHERE chargeback_ref = $1 AND order_id = $2`,
        [chargebackRef, orderId, reversed?.transfer.id ?? null, reversed?.reversal ?? null],
      );
      if (reversed) {
        // as a refund's reversal is recorded (refunds.ts): REVERSED once all of the transfer is back
        await m.query(
          `UPDATE transfers SET reversed_amount = reversed_amount + $2,
             status = CASE WHEN reversed_amount + $2 = amount THEN 'REVERSED' ELSE status END, updated_at = now()
           WHERE id = $1`,
          [reversed.transfer.id, amount],
        );
      }
      await postTransaction(m, {
        reference: `chargeback-recovery:${chargebackRef}:${orderId}`,
        kind: 'CHARGEBACK',
        paymentId: order.paymentId,
        orderId,
        entries: [
          { account: from, currency: recovery.currency, amount: -amount, orderId },
          { account: accounts.chargebackLosses, currency: recovery.currency, amount, orderId },
        ].filter((e) => e.amount !== 0),
      });
      // money taken from a seller's balance: on the record, like the close that caused it
      await recordAudit(m, 'payments', {
        action: 'chargeback.recovered',
        actorId: null,
        targetType: 'chargeback',
        targetId: chargebackRef,
        details: { orderId, sellerId: recovery.seller_id, amount, currency: recovery.currency, transferId: reversed?.transfer.id ?? null, reversal: reversed?.reversal ?? null },
      });
      if (amount < recovery.amount) {
        this.logger.warn('a lost chargeback was recovered in part from the seller’s available balance: the platform bears the rest', {
          chargeback: chargebackRef,
          orderId,
          recovered: amount,
          unrecovered: recovery.amount - amount,
        });
      }
    });
    this.afterCommit();
  }
}

/** What of an order's transfer can still be reversed: paid out from it, less recoveries asked and not yet settled. */
async function reversibleOf(manager: EntityManager, order: PaymentOrderEntity): Promise<number> {
  const [{ pending }]: { pending: string }[] = await manager.query(
    `SELECT coalesce(sum(amount), 0)::text AS pending FROM chargeback_recoveries WHERE order_id = $1 AND status = 'PENDING'`,
    [order.orderId],
  );
  return Math.max((await paidOutToSeller(manager, order)) - Number(pending), 0);
}
