import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { EntityBatcher } from '../entity-batcher';
import type { RouterContext } from '../gateway';

/** A subgraph stand-in that answers `_entities` and records what it was asked. */
function recordingSubgraph() {
  const calls: unknown[][] = [];
  const source: GraphQLDataSource<RouterContext> = {
    async process(options) {
      const representations = (options.request.variables as { representations: { id: string }[] }).representations;
      calls.push(representations);
      return {
        data: { _entities: representations.map((r) => (r.id === 'missing' ? null : { shopName: `Shop ${r.id}` })) },
        errors: representations.flatMap((r, i) => (r.id === 'missing' ? [{ message: 'gone', path: ['_entities', i, 'shopName'] }] : [])),
      };
    },
  };
  return { calls, source };
}

const fetch = (ids: string[], viewer = 'u1', query = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Seller{shopName}}}') =>
  ({
    request: { query, variables: { representations: ids.map((id) => ({ __typename: 'Seller', id })) } },
    context: { viewer: { userId: viewer, roles: [], scopes: [] } },
  }) as unknown as GraphQLDataSourceProcessOptions<RouterContext>;

test('simultaneous fetches of one viewer become one request, each representation asked once', async () => {
  const { calls, source } = recordingSubgraph();
  const batcher = new EntityBatcher(source);
  const answers = await Promise.all([batcher.process(fetch(['a', 'b'])), batcher.process(fetch(['b'])), batcher.process(fetch(['c', 'a']))]);
  expect(calls).toEqual([[{ __typename: 'Seller', id: 'a' }, { __typename: 'Seller', id: 'b' }, { __typename: 'Seller', id: 'c' }]]);
  expect(answers.map((a) => a.data)).toEqual([
    { _entities: [{ shopName: 'Shop a' }, { shopName: 'Shop b' }] },
    { _entities: [{ shopName: 'Shop b' }] },
    { _entities: [{ shopName: 'Shop c' }, { shopName: 'Shop a' }] },
  ]);
});

test("each fetch gets its own entities' errors, renumbered", async () => {
  const { source } = recordingSubgraph();
  const batcher = new EntityBatcher(source);
  const [first, second] = await Promise.all([batcher.process(fetch(['a'])), batcher.process(fetch(['b', 'missing']))]);
  expect(first.errors).toBeUndefined();
  expect(second.errors).toEqual([{ message: 'gone', path: ['_entities', 1, 'shopName'] }]);
});

test('fetches of different viewers or queries never merge; other requests pass straight through', async () => {
  const { calls, source } = recordingSubgraph();
  const batcher = new EntityBatcher(source);
  await Promise.all([batcher.process(fetch(['a'], 'u1')), batcher.process(fetch(['a'], 'u2')), batcher.process(fetch(['a'], 'u1', 'query($representations:[_Any!]!){_entities(representations:$representations){...on Seller{id}}}'))]);
  expect(calls).toHaveLength(3);
  const plain = { request: { query: '{ me { id } }', variables: {} }, context: { viewer: null } } as unknown as GraphQLDataSourceProcessOptions<RouterContext>;
  let passed = false;
  await new EntityBatcher({ process: async () => ((passed = true), { data: {} }) }).process(plain);
  expect(passed).toBe(true);
});
