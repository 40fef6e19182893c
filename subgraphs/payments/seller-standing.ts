import type { DataSource } from 'typeorm';
import { isEvent } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import type { EventEnvelope } from '../../lib/events/types';
import { isUuid } from '../../lib/ids';

/**
 * Transfers pause while a seller is suspended: released money stays in their available balance (the
 * ledger does not move), and a transfer made before the suspension but not yet sent waits too. Orders
 * already paid go on as usual (escrow is released, refunds are made). On reinstatement what waited
 * goes out at once. The standing comes from accounts (SellerStatusChanged), applied once per event,
 * the newest by its time winning whatever the delivery order.
 */
export class SellerStandings {
  constructor(
    private readonly db: DataSource,
    /** Pays a seller what waited for them (transfers.ts payWaiting). */
    private readonly payWaiting: (sellerId: string) => void,
  ) {}

  async isSuspended(sellerId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.transaction((m) =>
      m.query(`SELECT 1 FROM seller_standing WHERE seller_id = $1 AND status = 'SUSPENDED'`, [sellerId]),
    );
    return rows.length > 0;
  }

  async onEvent(event: EventEnvelope): Promise<void> {
    if (!isEvent(event, 'SellerStatusChanged')) return;
    const { sellerId, status, at } = event.payload;
    if (!isUuid(sellerId) || (status !== 'ACTIVE' && status !== 'SUSPENDED') || Number.isNaN(Date.parse(at))) return;
    let applied = false;
    await handleOnce(this.db, 'payments', event, async (manager) => {
      // `at` goes as text: it may carry microseconds that a JavaScript Date would drop
      const rows: unknown[] = await manager.query(
        `INSERT INTO seller_standing (seller_id, status, changed_at) VALUES ($1, $2, CAST($3 AS timestamptz))
         ON CONFLICT (seller_id) DO UPDATE SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at
           WHERE seller_standing.changed_at < EXCLUDED.changed_at
         RETURNING seller_id`,
        [sellerId, status, at],
      );
      applied = rows.length > 0;
    });
    if (applied && status === 'ACTIVE') this.payWaiting(sellerId);
  }
}
