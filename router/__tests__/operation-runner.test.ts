import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import type { SubgraphRequest } from '../execution/execute-plan';
import { prepareOperation, runOperation, type PreparedOperation } from '../execution/operation-runner';
import type { SubgraphAnswer } from '../execution/subgraph-errors';
import { loadSupergraph, type LoadedSupergraph } from '../supergraph';

/**
 * The runner as subscriptions use it: an event stands for the primary fetch's answer, and the rest
 * of the plan runs under it, its errors located and its nulls propagated as for any request.
 */
const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';
const work = mkdtempSync(join(tmpdir(), 'operation-runner-'));
let supergraph: LoadedSupergraph;
beforeAll(() => {
  const composed = composeServices([
    {
      name: 'shop',
      url: 'http://shop.invalid/graphql',
      typeDefs: parse(`${FEDERATION} type Query { item: Item } type Subscription { itemAdded: Item itemsAdded: [Item] } type Item @key(fields: "id") { id: ID! name: String }`),
    },
    { name: 'stock', url: 'http://stock.invalid/graphql', typeDefs: parse(`${FEDERATION} type Item @key(fields: "id") { id: ID! stock: Int! }`) },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('; '));
  writeFileSync(join(work, 'supergraph.graphql'), composed.supergraphSdl);
  supergraph = loadSupergraph(join(work, 'supergraph.graphql'), {});
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function prepared(document: string): PreparedOperation {
  const operation = prepareOperation(supergraph, parse(document));
  if (typeof operation === 'string') throw new Error(`left to the gateway: ${operation}`);
  return operation;
}

/** A stock subgraph that answers every entity with `answer`, and the requests it got. */
function stockAnswering(answer: (representations: unknown[]) => SubgraphAnswer) {
  const sent: SubgraphRequest[] = [];
  return {
    sent,
    send: async (subgraph: string, request: SubgraphRequest) => {
      expect(subgraph).toBe('stock');
      sent.push(request);
      return answer(request.variables.representations as unknown[]);
    },
  };
}

const EVENT = { data: { itemAdded: { __typename: 'Item', id: '7', name: 'Lamp' } } };

test('an event runs the rest of the plan under it', async () => {
  const operation = prepared('subscription { itemAdded { id name stock } }');
  expect(operation.primary?.serviceName).toBe('shop');
  const stock = stockAnswering((representations) => ({ data: { _entities: representations.map(() => ({ stock: 3 })) } }));
  const result = await runOperation(operation, { send: stock.send, variables: {}, initial: EVENT });
  expect(result).toEqual({ data: { itemAdded: { id: '7', name: 'Lamp', stock: 3 } } });
  expect(stock.sent).toHaveLength(1);
  expect(stock.sent[0].variables.representations).toEqual([{ __typename: 'Item', id: '7' }]);
});

test("the rest's errors land at the client's paths, and a null where Int! stood empties its nullable parent", async () => {
  const operation = prepared('subscription { itemAdded { id stock } }');
  const failing = stockAnswering(() => ({ data: { _entities: [null] }, errors: [{ message: 'no stock', path: ['_entities', 0, 'stock'], extensions: { code: 'NOT_FOUND' } }] }));
  const result = await runOperation(operation, { send: failing.send, variables: {}, initial: EVENT });
  expect(result.data).toEqual({ itemAdded: null });
  expect(result.errors?.map((e) => [e.message, e.path, e.extensions])).toEqual([['no stock', ['itemAdded', 'stock'], { code: 'NOT_FOUND', serviceName: 'stock' }]]);

  const silent = stockAnswering(() => ({ data: { _entities: [null] } }));
  const completed = await runOperation(operation, { send: silent.send, variables: {}, initial: EVENT });
  expect(completed.data).toEqual({ itemAdded: null });
  expect(completed.errors).toBeUndefined();
  expect(JSON.parse(JSON.stringify(completed.extensions))).toEqual({
    valueCompletion: [{ message: 'Cannot return null for non-nullable field Item.stock.', path: ['itemAdded', 'stock'], extensions: { code: 'INVALID_GRAPHQL' } }],
  });
});

test("an event's own errors are the primary subgraph's, and a fetch that throws fails its part only", async () => {
  const operation = prepared('subscription { itemAdded { id stock } }');
  const down = {
    send: async (): Promise<SubgraphAnswer> => {
      throw new Error('stock is down');
    },
  };
  const initial = { data: { itemAdded: null }, errors: [{ message: 'event lost', path: ['itemAdded'] }] };
  // nothing to fetch under a null: only the event's error, marked as the gateway marks an error of no code
  const result = await runOperation(operation, { send: down.send, variables: {}, initial });
  expect(result.errors?.map((e) => [e.message, e.path, e.extensions])).toEqual([['event lost', ['itemAdded'], { serviceName: 'shop', code: 'DOWNSTREAM_SERVICE_ERROR' }]]);
  const failed = await runOperation(operation, { send: down.send, variables: {}, initial: EVENT });
  expect(failed.errors?.map((e) => e.message)).toEqual(['stock is down']);
  expect(failed.data).toEqual({ itemAdded: null });
});

test('an entity held in several places is sent once; its answer and its errors reach every place', async () => {
  const operation = prepared('subscription { itemsAdded { id stock } }');
  const item = (id: string) => ({ __typename: 'Item', id, name: id });
  const initial = { data: { itemsAdded: [item('7'), item('8'), item('7'), item('9')] } };
  const stock = stockAnswering((representations) => ({
    data: { _entities: (representations as { id: string }[]).map(({ id }) => (id === '8' ? null : { stock: Number(id) })) },
    errors: [{ message: 'no stock', path: ['_entities', 1, 'stock'], extensions: { code: 'NOT_FOUND' } }],
  }));
  const result = await runOperation(operation, { send: stock.send, variables: {}, initial });
  expect(stock.sent.map((request) => request.variables.representations)).toEqual([[{ __typename: 'Item', id: '7' }, { __typename: 'Item', id: '8' }, { __typename: 'Item', id: '9' }]]);
  expect(result.data).toEqual({ itemsAdded: [{ id: '7', stock: 7 }, null, { id: '7', stock: 7 }, { id: '9', stock: 9 }] });
  expect(result.errors?.map((e) => e.path)).toEqual([['itemsAdded', 1, 'stock']]);

  const everywhere = stockAnswering((representations) => ({
    data: { _entities: representations.map(() => null) },
    errors: [{ message: 'no stock', path: ['_entities', 0, 'stock'] }, { message: 'stock closed' }],
  }));
  const failed = await runOperation(operation, { send: everywhere.send, variables: {}, initial });
  // the error of the item sent once is the error of both its places, in the order of the places
  expect(failed.errors?.map((e) => [e.message, e.path])).toEqual([
    ['stock closed', undefined],
    ['no stock', ['itemsAdded', 0, 'stock']],
    ['no stock', ['itemsAdded', 2, 'stock']],
  ]);
});

test('variables are coerced as the gateway coerces them, before anything is sent', async () => {
  const operation = prepared('query Q($id: ID!) { item { id } }');
  const result = await runOperation(operation, { send: () => Promise.reject(new Error('sent')), variables: {} });
  expect(result.data).toBeUndefined();
  expect(result.errors?.[0].message).toBe('Variable "$id" of required type "ID!" was not provided.');
});

test('what the lean executor leaves to the gateway is named', () => {
  expect(prepareOperation(supergraph, parse('{ __schema { queryType { name } } }'))).toBe('introspection');
  expect(prepareOperation(supergraph, parse('{ nope }'))).toBe('not planned');
});
