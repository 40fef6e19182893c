import type { DataSource } from 'typeorm';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageSize, toConnection, type Connection } from '../../lib/pagination';
import type { TransferEntity } from './entities';

export type TransferView = Pick<TransferEntity, 'id' | 'amount' | 'currency' | 'status' | 'createdAt'> & { orderIds: string[] };

const CURSOR = 'transfers';

/** A seller's transfers, newest first (transfers_seller_idx), each with the orders it pays. */
export async function transfersOf(db: DataSource, sellerId: string, first: number | null | undefined, after: string | null | undefined): Promise<Connection<TransferView>> {
  const size = pageSize(first);
  const position = decodeTimeIdCursor(CURSOR, after);
  return db.transaction(async (m) => {
    const rows: { id: string; amount: number; currency: string; status: TransferEntity['status']; created_at: Date; order_ids: string[] }[] = await m.query(
      `SELECT t.id, t.amount, t.currency, t.status, t.created_at,
              coalesce((SELECT array_agg(o.order_id ORDER BY o.released_at, o.order_id) FROM payment_orders o WHERE o.transfer_id = t.id), '{}') AS order_ids
       FROM transfers t
       WHERE t.seller_id = $1 AND ($2::timestamptz IS NULL OR (t.created_at, t.id) < ($2::timestamptz, $3::uuid))
       ORDER BY t.created_at DESC, t.id DESC LIMIT $4`,
      [sellerId, position?.createdAt ?? null, position?.id ?? null, size + 1],
    );
    const [{ n }]: { n: number }[] = await m.query(`SELECT count(*)::int AS n FROM transfers WHERE seller_id = $1`, [sellerId]);
    const views = rows.map((r) => ({ id: r.id, amount: r.amount, currency: r.currency, status: r.status, createdAt: r.created_at, orderIds: r.order_ids }));
    return toConnection(views, size, n, (t) => encodeTimeIdCursor(CURSOR, t));
  });
}
