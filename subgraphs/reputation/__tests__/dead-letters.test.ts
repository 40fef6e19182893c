import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '../../../lib/testing/eventually';
import { ROOT } from '../../../schema/subgraphs';
import { lifeUpTo, newOrder, startReputation, type ReputationHarness } from './harness';

/**
 * A consumer that fails on every delivery (its read model's table is gone) does not retry one event
 * forever: after EVENT_MAX_ATTEMPTS the event is a dead letter, counted in /metrics, listed and
 * replayed from the command line once the fault is mended.
 */
let h: ReputationHarness;
beforeAll(async () => {
  h = await startReputation({ ...process.env, EVENT_MAX_ATTEMPTS: '3', EVENT_REPLAY_POLL_MS: '100' });
});
afterAll(() => h?.stop());

const run = promisify(execFile);
const databaseUrl = () => (h.subgraph.db.options as { url: string }).url;
async function events(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'scripts', 'events.ts'), ...args, '--subgraph', 'reputation', '--database', databaseUrl()], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  return stdout;
}
const failures = (eventId: string) => h.sql(`SELECT attempts, dead_at, last_error FROM event_failures WHERE event_id = $1`, eventId);
async function deadLetterGauge(): Promise<number | undefined> {
  const text = await (await fetch(new URL('/metrics', h.subgraph.url))).text();
  const line = /^events_dead_letters\{[^}]*consumer="reputation"[^}]*\} (\d+)$/m.exec(text);
  return line ? Number(line[1]) : undefined;
}

test('an event that always fails becomes a dead letter, is listed, and is replayed once the fault is mended', async () => {
  await h.sql(`ALTER TABLE known_orders RENAME TO known_orders_away`);
  const order = newOrder();
  const [checkout] = lifeUpTo(order, 'PENDING_PAYMENT');
  await h.bus.publish([checkout]);

  await eventually(async () => expect((await failures(checkout.id))[0]).toMatchObject({ attempts: 3, dead_at: expect.anything() }));
  expect(String((await failures(checkout.id))[0].last_error)).toContain('known_orders');
  await h.bus.settled(); // the bus gave up on it: no delivery is pending, and none comes again
  expect((await failures(checkout.id))[0].attempts).toBe(3);
  expect(await deadLetterGauge()).toBe(1);

  const listed = await events('dead-letters');
  expect(listed).toContain(checkout.id);
  expect(listed).toContain('reputation/reputation  OrderStatusChanged  3 attempts');

  // a replay that fails again leaves it dead, with one more attempt, and no longer asked for
  expect(await events('replay', checkout.id)).toContain('1 dead letter to be replayed');
  await eventually(async () => expect((await failures(checkout.id))[0].attempts).toBe(4));
  expect(await events('dead-letters')).not.toContain('replay requested');

  await h.sql(`ALTER TABLE known_orders_away RENAME TO known_orders`);
  expect(await events('replay', '--all')).toContain('1 dead letter to be replayed');
  await eventually(async () => expect(await h.sql(`SELECT status FROM known_orders WHERE id = $1`, order.orderId)).toEqual([{ status: 'PENDING_PAYMENT' }]));
  await eventually(async () => expect(await failures(checkout.id)).toEqual([]));
  expect(await deadLetterGauge()).toBeUndefined();
  expect(await events('dead-letters')).toContain('no dead letters');
});

test('an event that fails a few times and then succeeds leaves no trace', async () => {
  // patient: it keeps retrying until the fault is mended
  const patient = await startReputation({ ...process.env, EVENT_MAX_ATTEMPTS: '1000' });
  try {
    await healed(patient);
  } finally {
    await patient.stop();
  }
});

async function healed(h: ReputationHarness) {
  const failures = (eventId: string) => h.sql(`SELECT attempts FROM event_failures WHERE event_id = $1`, eventId);
  await h.sql(`ALTER TABLE known_orders RENAME TO known_orders_away`);
  const order = newOrder();
  const [checkout] = lifeUpTo(order, 'PENDING_PAYMENT');
  await h.bus.publish([checkout]);
  await eventually(async () => expect((await failures(checkout.id))[0]?.attempts).toBeGreaterThanOrEqual(1));
  await h.sql(`ALTER TABLE known_orders_away RENAME TO known_orders`);
  await h.bus.settled();
  expect(await h.sql(`SELECT status FROM known_orders WHERE id = $1`, order.orderId)).toEqual([{ status: 'PENDING_PAYMENT' }]);
  expect(await failures(checkout.id)).toEqual([]);
}
