import type { DataSource } from 'typeorm';
import type { Logger } from '../../lib/logger';
import { startPeriodic } from '../../lib/periodic';
import { applyMove } from './transitions';

export interface SweepConfig {
  intervalMs: number;
  /** A shipped order counts as delivered this long after shipping if the buyer never confirms. */
  autoConfirmDeliveryMs: number;
}

/**
 * The clock's moves: unpaid purchases past their reservation expire (their orders are cancelled and
 * listings takes the stock back on the event), and shipped orders the buyer never confirmed are
 * delivered after a while so that the seller's money does not stay in escrow for ever.
 * SKIP LOCKED lets several orders instances sweep at once without doing the same order twice.
 */
export function startSweeper(db: DataSource, config: SweepConfig, logger: Logger, afterCommit: () => void): () => Promise<void> {
  const sweepOnce = async () => {
    const expired = await sweep(
      db,
      `SELECT o.id FROM orders o JOIN purchases p ON p.id = o.purchase_id
       WHERE o.status = 'PENDING_PAYMENT' AND p.expires_at < now()
         -- a checkout still opening its payment is left alone until well past its expiry (then it was abandoned)
         AND (p.state = 'OPEN' OR p.expires_at < now() - interval '15 minutes')
       LIMIT 100 FOR UPDATE OF o SKIP LOCKED`,
      [],
      'expire',
    );
    const delivered = await sweep(
      db,
      `SELECT id FROM orders WHERE status = 'SHIPPED' AND shipped_at < $1 LIMIT 100 FOR UPDATE SKIP LOCKED`,
      [new Date(Date.now() - config.autoConfirmDeliveryMs)],
      'autoConfirmDelivery',
    );
    if (expired + delivered > 0) {
      logger.info('orders swept', { expired, delivered });
      afterCommit();
    }
  };
  return startPeriodic('orders sweep', config.intervalMs, sweepOnce, logger);
}

async function sweep(db: DataSource, select: string, params: unknown[], move: 'expire' | 'autoConfirmDelivery'): Promise<number> {
  return db.transaction(async (manager) => {
    const rows: { id: string }[] = await manager.query(select, params);
    for (const { id } of rows) await applyMove(manager, id, move, 'SYSTEM');
    return rows.length;
  });
}
