import type { PlanNode } from '@apollo/query-planner';
import { everyFetch } from '../execution/execute-plan';
import { scopeOf, SharedEventResults } from '../subscriptions/event-results';

const event = (status: string) => ({ data: { orderStatusChanged: { order: { id: 'o1', status } } } });

test('subscribers of one plan and variables share the result of the same message, and only of the same message', async () => {
  const results = new SharedEventResults();
  const plan = {};
  const runs: string[] = [];
  const run = (label: string) => async () => {
    runs.push(label);
    return { data: { label } };
  };
  const scope = scopeOf(plan, { orderId: 'o1' });
  const first = await results.resultOf(scope, event('PAID'), run('a'));
  const again = await results.resultOf(scopeOf(plan, { orderId: 'o1' }), event('PAID'), run('b'));
  expect(again).toBe(first);
  await results.resultOf(scope, event('SHIPPED'), run('c'));
  await results.resultOf(scopeOf(plan, { orderId: 'o2' }), event('PAID'), run('d'));
  await results.resultOf(scopeOf({}, { orderId: 'o1' }), event('PAID'), run('e'));
  expect(runs).toEqual(['a', 'c', 'd', 'e']);
});

test('a run that fails is not kept: the next subscriber runs the event again', async () => {
  const results = new SharedEventResults();
  const scope = scopeOf({}, {});
  await expect(results.resultOf(scope, event('PAID'), () => Promise.reject(new Error('down')))).rejects.toThrow('down');
  await expect(results.resultOf(scope, event('PAID'), async () => ({ data: { ok: true } }))).resolves.toEqual({ data: { ok: true } });
});

test('a result is kept for a while only', async () => {
  const results = new SharedEventResults({ ttlMs: 20 });
  const scope = scopeOf({}, {});
  let runs = 0;
  const run = async () => ({ data: { run: ++runs } });
  await results.resultOf(scope, event('PAID'), run);
  await new Promise((resolve) => setTimeout(resolve, 40));
  await results.resultOf(scope, event('PAID'), run);
  expect(runs).toBe(2);
});

test('a plan is viewer-free when every fetch of it passes, whatever its shape', () => {
  const fetch = (operation: string) => ({ kind: 'Fetch', serviceName: 's', operation }) as unknown as PlanNode;
  const plan = { kind: 'Sequence', nodes: [{ kind: 'Flatten', path: [], node: fetch('public') }, { kind: 'Parallel', nodes: [fetch('public')] }] } as unknown as PlanNode;
  const isPublic = (fetch: { operation: string }) => fetch.operation === 'public';
  expect(everyFetch(undefined, isPublic)).toBe(true);
  expect(everyFetch(plan, isPublic)).toBe(true);
  expect(everyFetch({ kind: 'Sequence', nodes: [plan, fetch('private')] } as unknown as PlanNode, isPublic)).toBe(false);
  expect(everyFetch({ kind: 'Defer' } as unknown as PlanNode, isPublic)).toBe(false);
});
