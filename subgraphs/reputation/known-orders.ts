import type { EntityManager } from 'typeorm';
import type { EventPayloads } from '../../lib/events/catalog';
import { isUuid } from '../../lib/ids';
import { KnownOrderEntity } from './entities';

/**
 * How far along its life an order is. Orders only ever moves an order forward (PENDING_PAYMENT →
 * … → COMPLETED, or into one of the terminal CANCELLED and REFUNDED, which exclude each other), so a
 * status ranked lower than the one known is an event that arrived late and must not win.
 * DISPUTED is left unranked on purpose: a dispute neither opens nor closes the buyer's review (a buyer
 * of a delivered order may review it while the dispute runs), and the status a dispute ends in wins.
 */
const RANK: Record<string, number> = {
  PENDING_PAYMENT: 1,
  PAID: 2,
  ACCEPTED: 3,
  SHIPPED: 4,
  DELIVERED: 5,
  COMPLETED: 6,
  CANCELLED: 7,
  REFUNDED: 7,
};

/** The statuses in which the buyer may review the order. */
export const REVIEWABLE: ReadonlySet<string> = new Set(['DELIVERED', 'COMPLETED']);

export interface OrderProgress {
  status: string;
  statusAt: Date;
  deliveredAt: Date | null;
}

/**
 * Where an order stands once a status change is heard of, whatever order the events arrive in.
 * A higher rank wins; between equal ranks (a status this code does not know yet ranks 0) the later
 * change wins. The time of delivery is kept even when COMPLETED arrived before DELIVERED.
 */
export function advance(current: OrderProgress | null, change: { status: string; at: Date }): OrderProgress {
  const deliveredAt = change.status === 'DELIVERED' ? change.at : null;
  if (!current) return { status: change.status, statusAt: change.at, deliveredAt };
  const known = RANK[current.status] ?? 0;
  const heard = RANK[change.status] ?? 0;
  const newer = heard > known || (heard === known && change.status !== current.status && change.at > current.statusAt);
  return {
    ...(newer ? { status: change.status, statusAt: change.at } : { status: current.status, statusAt: current.statusAt }),
    deliveredAt: earliest(current.deliveredAt, deliveredAt),
  };
}

const earliest = (a: Date | null, b: Date | null) => (a && b ? (a <= b ? a : b) : (a ?? b));

type StatusChange = EventPayloads['OrderStatusChanged'];

/** An event that could never be stored is dropped rather than retried for ever. */
export function wellFormed(change: StatusChange): boolean {
  return (
    isUuid(change.orderId) &&
    isUuid(change.buyerId) &&
    isUuid(change.sellerId) &&
    typeof change.status === 'string' &&
    !Number.isNaN(Date.parse(change.at))
  );
}

/** Folds one status change into the read model, inside the consumer's transaction. */
export async function recordOrderStatus(manager: EntityManager, change: StatusChange): Promise<void> {
  const at = new Date(change.at);
  const first = advance(null, { status: change.status, at });
  // The first event of an order creates its row; a concurrent one for the same order waits here
  // for that insert to commit, then finds the row and merges into it below.
  const inserted: unknown[] = await manager.query(
    `INSERT INTO known_orders (id, buyer_id, seller_id, status, status_at, delivered_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [change.orderId, change.buyerId, change.sellerId, first.status, first.statusAt, first.deliveredAt],
  );
  if (inserted.length) return;
  const orders = manager.getRepository(KnownOrderEntity);
  const current = await orders.findOneOrFail({ where: { id: change.orderId }, lock: { mode: 'pessimistic_write' } });
  const next = advance(current, { status: change.status, at });
  const time = (date: Date | null) => date?.getTime() ?? null;
  const unchanged =
    next.status === current.status && time(next.statusAt) === time(current.statusAt) && time(next.deliveredAt) === time(current.deliveredAt);
  if (!unchanged) await orders.update({ id: change.orderId }, next);
}
