import { advance, type OrderProgress } from '../known-orders';

const t = (seconds: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, seconds));
const fold = (changes: [string, number][]): OrderProgress | null =>
  changes.reduce<OrderProgress | null>((state, [status, at]) => advance(state, { status, at: t(at) }), null);

test('in order, an order ends where its last event leaves it, with the time it was delivered', () => {
  expect(fold([['PENDING_PAYMENT', 0], ['PAID', 1], ['ACCEPTED', 2], ['SHIPPED', 3], ['DELIVERED', 4], ['COMPLETED', 5]])).toEqual({
    status: 'COMPLETED',
    statusAt: t(5),
    deliveredAt: t(4),
  });
});

test('any arrival order gives the same state', () => {
  const life: [string, number][] = [['PENDING_PAYMENT', 0], ['PAID', 1], ['ACCEPTED', 2], ['SHIPPED', 3], ['DELIVERED', 4]];
  const expected = fold(life);
  for (const shuffled of [[...life].reverse(), [life[4], life[1], life[0], life[3], life[2]], [life[2], life[4], life[4], life[0]]]) {
    expect(fold(shuffled)).toEqual(expected);
  }
});

test('terminal statuses are never left, and a late DELIVERED still records the delivery time', () => {
  expect(fold([['REFUNDED', 9], ['DELIVERED', 4], ['COMPLETED', 5]])).toEqual({ status: 'REFUNDED', statusAt: t(9), deliveredAt: t(4) });
  expect(fold([['CANCELLED', 3], ['PAID', 1], ['ACCEPTED', 2]])).toMatchObject({ status: 'CANCELLED', deliveredAt: null });
});

test('a status this code does not know yet neither wins over known ones nor blocks them', () => {
  expect(fold([['PAID', 1], ['DISPUTED', 2]])).toMatchObject({ status: 'PAID' });
  expect(fold([['DISPUTED', 2], ['PAID', 1]])).toMatchObject({ status: 'PAID' });
});
