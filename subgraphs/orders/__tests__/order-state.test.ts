import { checkMove, TRANSITIONS, type OrderActor, type OrderMove, type OrderStatus } from '../order-state';

const STATUSES: OrderStatus[] = ['PENDING_PAYMENT', 'PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUNDED', 'DISPUTED'];

test('the happy path runs from payment to completion', () => {
  const path: [OrderMove, OrderActor, OrderStatus][] = [
    ['markPaid', 'SYSTEM', 'PAID'],
    ['accept', 'SELLER', 'ACCEPTED'],
    ['ship', 'SELLER', 'SHIPPED'],
    ['confirmDelivery', 'BUYER', 'DELIVERED'],
    ['complete', 'SYSTEM', 'COMPLETED'],
  ];
  let status: OrderStatus = 'PENDING_PAYMENT';
  for (const [move, actor, next] of path) {
    const check = checkMove(move, status, actor);
    expect(check).toEqual({ ok: true, to: next });
    status = next;
  }
});

test.each([
  ['a buyer ships', 'ship', 'ACCEPTED', 'BUYER', 'NOT_ALLOWED_FOR_ACTOR'],
  ['a seller confirms delivery', 'confirmDelivery', 'SHIPPED', 'SELLER', 'NOT_ALLOWED_FOR_ACTOR'],
  ['a buyer accepts', 'accept', 'PAID', 'BUYER', 'NOT_ALLOWED_FOR_ACTOR'],
  ['a client marks an order paid', 'markPaid', 'PENDING_PAYMENT', 'BUYER', 'NOT_ALLOWED_FOR_ACTOR'],
  ['accepting an unpaid order', 'accept', 'PENDING_PAYMENT', 'SELLER', 'INVALID_FROM_STATUS'],
  ['shipping before accepting', 'ship', 'PAID', 'SELLER', 'INVALID_FROM_STATUS'],
  ['cancelling a shipped order', 'cancel', 'SHIPPED', 'BUYER', 'INVALID_FROM_STATUS'],
  ['cancelling twice', 'cancel', 'CANCELLED', 'SELLER', 'INVALID_FROM_STATUS'],
  ['refunding an unpaid order', 'markRefunded', 'PENDING_PAYMENT', 'SYSTEM', 'INVALID_FROM_STATUS'],
  ['completing before delivery', 'complete', 'SHIPPED', 'SYSTEM', 'INVALID_FROM_STATUS'],
] as const)('refused: %s', (_case, move, status, actor, reason) => {
  expect(checkMove(move, status, actor)).toEqual({ ok: false, reason });
});

test('both parties may cancel before shipping, nobody after', () => {
  for (const status of STATUSES) {
    const before = ['PENDING_PAYMENT', 'PAID', 'ACCEPTED'].includes(status);
    expect(checkMove('cancel', status, 'BUYER').ok).toBe(before);
    expect(checkMove('cancel', status, 'SELLER').ok).toBe(before);
  }
});

test('CANCELLED and REFUNDED are final: no move leaves them', () => {
  for (const move of Object.keys(TRANSITIONS) as OrderMove[]) {
    for (const actor of ['BUYER', 'SELLER', 'SYSTEM'] as const) {
      expect(checkMove(move, 'CANCELLED', actor).ok).toBe(false);
      expect(checkMove(move, 'REFUNDED', actor).ok).toBe(false);
    }
  }
});

test('every status but PENDING_PAYMENT is reachable', () => {
  const reachable = new Set(Object.values(TRANSITIONS).map((t) => t.to));
  expect([...reachable].sort()).toEqual(STATUSES.filter((s) => s !== 'PENDING_PAYMENT').sort());
});

test('disputes: the buyer disputes a shipped or delivered order; a chargeback any paid one', () => {
  for (const status of ['SHIPPED', 'DELIVERED'] as const) expect(checkMove('openDispute', status, 'BUYER')).toEqual({ ok: true, to: 'DISPUTED' });
  for (const status of ['PENDING_PAYMENT', 'PAID', 'ACCEPTED', 'COMPLETED', 'CANCELLED', 'REFUNDED', 'DISPUTED'] as const) {
    expect(checkMove('openDispute', status, 'BUYER')).toEqual({ ok: false, reason: 'INVALID_FROM_STATUS' });
  }
  expect(checkMove('openDispute', 'SHIPPED', 'SELLER')).toEqual({ ok: false, reason: 'NOT_ALLOWED_FOR_ACTOR' });
  for (const status of ['PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED'] as const) expect(checkMove('chargeback', status, 'SYSTEM').ok).toBe(true);
  expect(checkMove('chargeback', 'REFUNDED', 'SYSTEM').ok).toBe(false);
});

test('a DISPUTED order moves only by the dispute’s outcome: completed, refunded, or (a chargeback won) resumed', () => {
  const leaving = (Object.keys(TRANSITIONS) as OrderMove[]).filter((move) =>
    (['BUYER', 'SELLER', 'SYSTEM'] as const).some((actor) => checkMove(move, 'DISPUTED', actor).ok),
  );
  expect(leaving.sort()).toEqual(['complete', 'markRefunded', 'resume']);
  for (const move of leaving) expect(TRANSITIONS[move].by).toEqual(['SYSTEM']);
});
