import type { GraphQLFormattedError } from 'graphql';
import { CASES } from './compliance/cases';
import { startGateways, type Answer, type Executor, type Gateways } from './compliance/harness';

/**
 * A federation compliance suite: subgraphs written for it (router/__tests__/compliance/) cover
 * entities, @requires, @provides, interfaces, @interfaceObject, @shareable, unions, mutations in
 * order, errors, null propagation, a subgraph that is down and @defer. Each case is asked of the stock
 * @apollo/server + @apollo/gateway and of the router on the same supergraph; the router must give the
 * same answer (data in the same field order, errors with their messages, paths and extensions), or,
 * where the case says so, its own answer with stock's data and error paths. Which executor answered
 * is asserted per case and printed as a table.
 */
let gateways: Gateways;
beforeAll(async () => {
  gateways = await startGateways();
});
afterAll(async () => {
  await gateways?.stop();
});

/**
 * Stock's answer as the router's error policy would let a client see it: stock adds the subgraph's
 * name to each error's extensions (`serviceName`), which the router keeps to itself. The spec leaves
 * extensions to the server; nothing else is taken out.
 */
function withoutServiceName(answer: Answer): Answer {
  if (!answer.body.errors) return answer;
  const errors = answer.body.errors.map((error): GraphQLFormattedError => {
    if (!error.extensions || !('serviceName' in error.extensions)) return error;
    const { serviceName: _, ...extensions } = error.extensions;
    return { ...error, extensions };
  });
  return { ...answer, body: { ...answer.body, errors } };
}

const paths = (answer: Answer) => (answer.body.errors ?? []).map((error) => error.path);
const executors: { name: string; executor: Executor; comparison: string }[] = [];
afterAll(() => {
  // which executor answered each case, for the record
  console.log(['executor  comparison  case', ...executors.map((e) => `${e.executor.padEnd(8)}  ${e.comparison.padEnd(11)}  ${e.name}`)].join('\n'));
});

test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
  // one after the other, stock first: mutations share one log, and the router's metrics tell its executor per request
  const stock = [withoutServiceName(await gateways.stock(c.query, c.variables))];
  if (c.then) stock.push(withoutServiceName(await gateways.stock(c.then)));
  const ours = [await gateways.router(c.query, c.variables)];
  if (c.then) ours.push(await gateways.router(c.then));

  if (c.stockWrong) {
    expect(ours[0].body).toEqual({ ...(c.errors && { errors: c.errors }), data: c.data });
    expect(JSON.stringify(ours[0].body.data)).toBe(JSON.stringify(c.data));
    expect(stock[0].body).not.toEqual({ data: c.data });
  } else if (c.data !== undefined) {
    expect(stock[0].body.data).toEqual(c.data);
    expect(ours[0].body.data).toEqual(c.data);
  }
  if (c.differs) {
    expect({ status: ours[0].status, ...ours[0].body }).toEqual(c.differs.router);
    expect(JSON.stringify(ours[0].body.data)).toBe(JSON.stringify(stock[0].body.data));
    expect(paths(ours[0])).toEqual(paths(stock[0]));
    expect(ours[0].status).toBe(stock[0].status);
  } else if (!c.stockWrong) {
    ours.forEach((answer, i) => {
      const { executor: __, ...answered } = answer;
      expect(answered).toEqual(stock[i]);
      // the spec orders a response's fields as the query does; toEqual does not look at order
      expect(JSON.stringify(answer.body.data)).toBe(JSON.stringify(stock[i].body.data));
    });
  }
  expect(ours[0].executor).toBe(c.executor);
  executors.push({ name: c.name, executor: ours[0].executor, comparison: c.stockWrong ? 'stock wrong' : c.differs ? 'differs' : 'equal' });
});

test('mutations reach the subgraphs in the order of the operation, on both', async () => {
  const mutation = 'mutation { resetLog a: pay(note: "1", delayMs: 40) { position } b: placeOrder(note: "2", delayMs: 20) { position } c: pay(note: "3") { position } }';
  for (const ask of [gateways.stock, gateways.router]) {
    const answer = await ask(mutation);
    expect(answer.body).toEqual({ data: { resetLog: true, a: { position: 1 }, b: { position: 2 }, c: { position: 3 } } });
    expect((await ask('{ log }')).body).toEqual({ data: { log: ['payment:1', 'order:2', 'payment:3'] } });
  }
});
