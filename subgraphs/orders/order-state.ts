/**
 * The order state machine as data: which move leads from which statuses to which, and who may make
 * it. Pure, so that the rules are tested without a database.
 *
 *   PENDING_PAYMENT → PAID → ACCEPTED → SHIPPED → DELIVERED → COMPLETED
 *   CANCELLED from PENDING_PAYMENT, PAID or ACCEPTED; REFUNDED from any paid status.
 *   DISPUTED from SHIPPED or DELIVERED (the buyer's dispute), or from any paid status (a chargeback);
 *   nothing moves a DISPUTED order but the dispute's outcome: COMPLETED, REFUNDED, or (a chargeback
 *   the seller won) back where it was.
 */
export type OrderStatus =
  | 'PENDING_PAYMENT'
  | 'PAID'
  | 'ACCEPTED'
  | 'SHIPPED'
  | 'DELIVERED'
  | 'COMPLETED'
  | 'CANCELLED'
  | 'REFUNDED'
  | 'DISPUTED';

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
  | 'markRefunded'
  | 'openDispute'
  | 'chargeback'
  | 'resume';

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
  // DISPUTED: a dispute decided for the seller (all or part of the money released)
  complete: { from: ['DELIVERED', 'DISPUTED'], to: 'COMPLETED', by: ['SYSTEM'] },
  markRefunded: { from: [...PAID_STATUSES, 'DISPUTED'], to: 'REFUNDED', by: ['SYSTEM'] },
  // disputes: the buyer's while the money waits in escrow for delivery, the provider's (a chargeback) any time after payment
  openDispute: { from: ['SHIPPED', 'DELIVERED'], to: 'DISPUTED', by: ['BUYER'] },
  chargeback: { from: PAID_STATUSES, to: 'DISPUTED', by: ['SYSTEM'] },
  // a chargeback the seller won: the order goes back to where it was (MoveOptions.resumeTo says where)
  resume: { from: ['DISPUTED'], to: 'DISPUTED', by: ['SYSTEM'] },
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
