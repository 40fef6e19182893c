/**
 * The order state machine as data: which move leads from which statuses to which, and who may make
 * it. Pure, so that the rules are tested without a database.
 *
 *   PENDING_PAYMENT → PAID → ACCEPTED → SHIPPED → DELIVERED → COMPLETED
 *   CANCELLED from PENDING_PAYMENT, PAID or ACCEPTED; REFUNDED from any paid status.
 */
export type OrderStatus =
  | 'PENDING_PAYMENT'
  | 'PAID'
  | 'ACCEPTED'
  | 'SHIPPED'
  | 'DELIVERED'
  | 'COMPLETED'
  | 'CANCELLED'
  | 'REFUNDED';

export type OrderActor = 'BUYER' | 'SELLER' | 'SYSTEM';

export type OrderMove =
  | 'accept'
  | 'ship'
  | 'confirmDelivery'
  | 'cancel'
  | 'markPaid'
  | 'expire'
  | 'autoConfirmDelivery'
  | 'complete'
  | 'markRefunded';

interface Transition {
  from: readonly OrderStatus[];
  to: OrderStatus;
  by: readonly OrderActor[];
}

const PAID_STATUSES = ['PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED'] as const;

export const TRANSITIONS: Record<OrderMove, Transition> = {
  accept: { from: ['PAID'], to: 'ACCEPTED', by: ['SELLER'] },
  ship: { from: ['ACCEPTED'], to: 'SHIPPED', by: ['SELLER'] },
  confirmDelivery: { from: ['SHIPPED'], to: 'DELIVERED', by: ['BUYER'] },
  cancel: { from: ['PENDING_PAYMENT', 'PAID', 'ACCEPTED'], to: 'CANCELLED', by: ['BUYER', 'SELLER'] },
  // moves that follow other subgraphs' events or the clock
  markPaid: { from: ['PENDING_PAYMENT'], to: 'PAID', by: ['SYSTEM'] },
  expire: { from: ['PENDING_PAYMENT'], to: 'CANCELLED', by: ['SYSTEM'] },
  autoConfirmDelivery: { from: ['SHIPPED'], to: 'DELIVERED', by: ['SYSTEM'] },
  complete: { from: ['DELIVERED'], to: 'COMPLETED', by: ['SYSTEM'] },
  markRefunded: { from: PAID_STATUSES, to: 'REFUNDED', by: ['SYSTEM'] },
};

export type MoveCheck =
  | { ok: true; to: OrderStatus }
  | { ok: false; reason: 'NOT_ALLOWED_FOR_ACTOR' | 'INVALID_FROM_STATUS' };

/** Whether `actor` may make `move` on an order in `status`; who may act is checked before where it stands. */
export function checkMove(move: OrderMove, status: OrderStatus, actor: OrderActor): MoveCheck {
  const transition = TRANSITIONS[move];
  if (!transition.by.includes(actor)) return { ok: false, reason: 'NOT_ALLOWED_FOR_ACTOR' };
  if (!transition.from.includes(status)) return { ok: false, reason: 'INVALID_FROM_STATUS' };
  return { ok: true, to: transition.to };
}
