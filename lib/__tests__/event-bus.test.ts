import { randomUUID } from 'node:crypto';
import { InProcessBus } from '../events/in-process-bus';
import { RedisStreamsBus } from '../events/redis-bus';
import type { EventBus, EventEnvelope } from '../events/types';
import { createLogger } from '../logger';
import { eventually } from '../testing/eventually';

/** One contract, every bus: Redis Streams joins when REDIS_URL names a server (as in CI). */
const logger = createLogger();
const buses: [string, () => EventBus & { destroy?: () => Promise<void> }][] = [
  ['in-process', () => new InProcessBus(logger, [10])],
  ...(process.env.REDIS_URL
    ? [['redis streams', () => new RedisStreamsBus(process.env.REDIS_URL!, logger, { prefix: `test-${randomUUID()}`, claimIdleMs: 200 })] as [string, () => RedisStreamsBus]]
    : []),
];

const event = (n: number): EventEnvelope => ({ id: randomUUID(), type: 'Test', source: 'test', occurredAt: new Date().toISOString(), payload: { n } });

describe.each(buses)('%s bus', (_name, make) => {
  let bus: EventBus & { destroy?: () => Promise<void> };
  beforeEach(() => {
    bus = make();
  });
  afterEach(async () => {
    await (bus.destroy ? bus.destroy() : bus.close());
  });

  test('every consumer group gets every event, in order', async () => {
    const seen: Record<string, number[]> = { a: [], b: [] };
    await bus.subscribe('a', async (e) => void seen.a.push((e.payload as { n: number }).n));
    await bus.subscribe('b', async (e) => void seen.b.push((e.payload as { n: number }).n));
    await bus.publish([event(1), event(2), event(3)]);
    await eventually(async () => expect(seen).toEqual({ a: [1, 2, 3], b: [1, 2, 3] }));
  });

  test('a failing handler gets the event again until it succeeds', async () => {
    let attempts = 0;
    await bus.subscribe('flaky', async () => {
      attempts += 1;
      if (attempts < 3) throw new Error('not yet');
    });
    await bus.publish([event(1)]);
    await eventually(async () => expect(attempts).toBe(3), { timeoutMs: 30_000 });
  });

  test('every tail hears every event published after it started', async () => {
    await bus.publish([event(0)]);
    const first: number[] = [];
    const second: number[] = [];
    await bus.tail(async (e) => void first.push((e.payload as { n: number }).n));
    const stop = await bus.tail(async (e) => void second.push((e.payload as { n: number }).n));
    await new Promise((r) => setTimeout(r, 100));
    await bus.publish([event(1), event(2)]);
    await eventually(async () => expect({ first, second }).toEqual({ first: [1, 2], second: [1, 2] }));
    await stop();
    await bus.publish([event(3)]);
    await eventually(async () => expect(first).toEqual([1, 2, 3]));
    expect(second).toEqual([1, 2]);
  });

  test('after unsubscribing, a group hears nothing more', async () => {
    const seen: number[] = [];
    const stop = await bus.subscribe('leaving', async (e) => void seen.push((e.payload as { n: number }).n));
    await bus.publish([event(1)]);
    await eventually(async () => expect(seen).toEqual([1]));
    await stop();
    await bus.publish([event(2)]);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([1]);
  });
});
