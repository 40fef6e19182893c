import { MergeTree } from '../execution/merge';

/** Answers shared between requests are merged into each request's data without being changed. */
const deepFrozen = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFrozen(child);
    Object.freeze(value);
  }
  return value;
};

test('an answer merged into two requests stays as it came, and each request gets its own entities', () => {
  const root = deepFrozen({ users: [{ __typename: 'User', id: '1' }, null, { __typename: 'User', id: '2' }] });
  const reviews = deepFrozen({ _entities: [{ reviews: [{ id: 'r1' }] }, { reviews: [] }] });
  const answered = JSON.stringify([root, reviews]);

  const requests = [0, 1].map(() => {
    const data: Record<string, unknown> = {};
    const tree = new MergeTree(data);
    tree.merge(data, root);
    const users = tree.entitiesAt([data], ['users', '@']);
    expect(users.map((user) => user.id)).toEqual(['1', '2']);
    reviews._entities.forEach((answer, i) => tree.merge(users[i], answer));
    const products = tree.entitiesAt([data], ['users', '@', 'reviews', '@']);
    tree.merge(products[0], { product: { upc: '7' } });
    return data;
  });

  expect(JSON.stringify([root, reviews])).toBe(answered);
  for (const data of requests) {
    expect(data).toEqual({
      users: [{ __typename: 'User', id: '1', reviews: [{ id: 'r1', product: { upc: '7' } }] }, null, { __typename: 'User', id: '2', reviews: [] }],
    });
  }
  expect((requests[0].users as unknown[])[0]).not.toBe((requests[1].users as unknown[])[0]);
});

test('merges as the gateway does: objects by field, lists of one length by item, anything else replaced', () => {
  const data: Record<string, unknown> = { a: { x: 1 }, list: [{ id: 1 }, 2], other: [1, 2, 3], kept: 'k' };
  const tree = new MergeTree(data);
  tree.merge(data, deepFrozen({ a: { y: 2 }, list: [{ name: 'n' }, 3], other: [4], kept: undefined, added: { z: 3 } }));
  expect(data).toEqual({ a: { x: 1, y: 2 }, list: [{ id: 1, name: 'n' }, 3], other: [4], kept: 'k', added: { z: 3 } });
});

test('a path that ends on a list gives its items, null ones and dead ends left out', () => {
  const data: Record<string, unknown> = {};
  const tree = new MergeTree(data);
  tree.merge(data, deepFrozen({ top: [{ tags: [{ t: 1 }, null] }, { tags: null }, 'odd'], single: { v: 1 } }));
  expect(tree.entitiesAt([data], ['top', '@', 'tags'])).toEqual([{ t: 1 }]);
  expect(tree.entitiesAt([data], ['single'])).toEqual([{ v: 1 }]);
  expect(tree.entitiesAt([data], ['missing', '@'])).toEqual([]);
  expect(tree.entitiesAt([data], ['single', '@'])).toEqual([]);
});
