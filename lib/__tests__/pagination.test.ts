import { decodeCursor, encodeCursor, pageSize, toConnection } from '../pagination';

test('cursors round-trip and belong to one list', () => {
  const cursor = encodeCursor('listings:NEWEST', ['2026-01-01T00:00:00.000Z', 'id-1']);
  expect(decodeCursor('listings:NEWEST', cursor)).toEqual(['2026-01-01T00:00:00.000Z', 'id-1']);
  expect(() => decodeCursor('listings:PRICE_ASC', cursor)).toThrow('after is not a cursor of this list');
  expect(() => decodeCursor('listings:NEWEST', 'garbage')).toThrow('after is not a cursor of this list');
  expect(decodeCursor('x', null)).toBeUndefined();
});

test('page sizes are capped and never negative', () => {
  expect(pageSize(undefined)).toBe(20);
  expect(pageSize(500)).toBe(100);
  expect(() => pageSize(-1)).toThrow('first must be a non-negative integer');
});

test('one row beyond the page means there is a next page', () => {
  const rows = [1, 2, 3];
  expect(toConnection(rows, 2, 3, String).pageInfo).toEqual({ hasNextPage: true, endCursor: '2' });
  expect(toConnection(rows, 3, 3, String).pageInfo).toEqual({ hasNextPage: false, endCursor: '3' });
});
