import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EventPayloads } from '../../../lib/events/catalog';
import type { EventEnvelope } from '../../../lib/events/types';
import { eventually } from '../../../lib/testing/eventually';
import { startLoneSubgraph, type LoneSubgraph } from '../../../lib/testing/lone-subgraph';
import { ROOT } from '../../../schema/subgraphs';
import { appendAuditNow, verifyChain } from '../audit-log';
import { accounts } from '../subgraph';

/**
 * The audit log's storage (issue 13, item 5): AuditRecorded events of any subgraph are appended in
 * order, once each, chained by hash; the database refuses to change or remove an entry; and
 * `npm run audit -- verify` finds the first entry someone altered behind the database's back. Runs on
 * PostgreSQL when DATABASE_URL is set, else on the embedded default.
 */
let h: LoneSubgraph;
beforeAll(async () => {
  h = await startLoneSubgraph(accounts);
});
afterAll(() => h?.stop());

const db = () => h.subgraph.db;
const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> => db().transaction((m) => m.query(query, params));

type Audited = EventEnvelope<'AuditRecorded', EventPayloads['AuditRecorded']>;
function audited(action: string, targetId: string, source = 'payments'): Audited {
  return {
    id: randomUUID(),
    type: 'AuditRecorded',
    source,
    occurredAt: new Date().toISOString(),
    payload: {
      action,
      actorId: randomUUID(),
      targetType: 'order',
      targetId,
      details: { amount: 1500, currency: 'EUR', nested: { z: 1, a: [true, null] } },
      at: new Date().toISOString(),
      ip: '203.0.113.7',
      requestId: `req-${targetId}`,
    },
  };
}

const entriesOf = (targetId: string) =>
  sql<{ id: string; action: string; event_id: string; previous_hash: string | null; hash: string; ip: string; request_id: string; source: string }>(
    `SELECT id::text AS id, action, event_id, previous_hash, hash, ip, request_id, source FROM audit_log WHERE target_id = $1 ORDER BY audit_log.id`,
    [targetId],
  );

const verify = (...extra: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'audit.ts'), 'verify', '--database', (db().options as { url: string }).url, ...extra], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent' },
  }).then(
    ({ stdout }) => ({ code: 0, out: stdout }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout + error.stderr }),
  );

test('AuditRecorded events are appended in order, each linked to the hash of the one before, and a duplicate delivery appends once', async () => {
  const target = randomUUID();
  const events = ['order.refunded', 'commission.changed', 'seller.suspended'].map((action) => audited(action, target));
  // one after another: the chain's order is the order the events arrive in
  for (const event of events) {
    await h.bus.publish([event]);
    await h.bus.settled();
  }
  // the same events again, as an at-least-once broker may deliver them
  await h.bus.publish([events[0], events[2]]);
  await h.bus.settled();
  const rows = await eventually(async () => {
    const found = await entriesOf(target);
    expect(found.map((row) => row.action)).toEqual(['order.refunded', 'commission.changed', 'seller.suspended']);
    return found;
  });
  expect(rows.map((row) => row.event_id)).toEqual(events.map((event) => event.id));
  expect(rows[0]).toMatchObject({ ip: '203.0.113.7', request_id: `req-${target}`, source: 'payments' });
  expect(rows[1].previous_hash).toBe(rows[0].hash);
  expect(rows[2].previous_hash).toBe(rows[1].hash);
  expect(new Set(rows.map((row) => row.hash)).size).toBe(3);
  // the very first entry of the log has nothing before it
  const [first] = await sql<{ previous_hash: string | null }>(`SELECT previous_hash FROM audit_log ORDER BY id LIMIT 1`);
  expect(first.previous_hash).toBeNull();
  expect(await verifyChain(db())).toEqual({ checked: expect.any(Number), broken: null, head: { id: rows[2].id, hash: rows[2].hash } });
});

test('the database refuses to update, delete or truncate an entry', async () => {
  const target = randomUUID();
  await db().transaction((m) => appendAuditNow(m, 'accounts', { action: 'role.granted', actorId: null, targetType: 'user', targetId: target }));
  const [row] = await entriesOf(target);
  await expect(sql(`UPDATE audit_log SET action = 'role.revoked' WHERE id = $1`, [row.id])).rejects.toThrow(/append-only/);
  await expect(sql(`DELETE FROM audit_log WHERE id = $1`, [row.id])).rejects.toThrow(/append-only/);
  await expect(sql(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
  expect(await entriesOf(target)).toEqual([row]);
});

test('appends made at the same time keep one chain: no two entries share a previous hash', async () => {
  const target = randomUUID();
  await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      db().transaction((m) => appendAuditNow(m, 'accounts', { action: 'user.signed_in', actorId: null, targetType: 'user', targetId: target, details: { i } })),
    ),
  );
  const rows = await entriesOf(target);
  expect(rows).toHaveLength(12);
  const all = await sql<{ previous_hash: string | null }>(`SELECT previous_hash FROM audit_log`);
  expect(new Set(all.map((row) => row.previous_hash)).size).toBe(all.length);
  expect((await verifyChain(db())).broken).toBeNull();
});

test('npm run audit -- verify passes an intact chain, and names the entry a superuser altered behind the triggers', async () => {
  const target = randomUUID();
  for (const action of ['dispute.resolved', 'review.moderated', 'listing.removed']) {
    await db().transaction((m) => appendAuditNow(m, 'accounts', { action, actorId: randomUUID(), targetType: 'dispute', targetId: target }));
  }
  const intact = await verify();
  expect(intact).toMatchObject({ code: 0, out: expect.stringMatching(/audit log intact: \d+ entries/) });

  const [, altered] = await entriesOf(target);
  await sql(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`);
  await sql(`UPDATE audit_log SET details = '{"decision": "REFUND_BUYER"}'::jsonb WHERE id = $1`, [altered.id]);
  await sql(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`);

  const caught = await verify();
  expect(caught.code).toBe(1);
  expect(caught.out).toContain(`audit log BROKEN at entry ${altered.id}: its hash does not match its contents`);
  expect(await verifyChain(db())).toMatchObject({ broken: { id: altered.id } });
  expect(await verify('--what')).toMatchObject({ code: 1 });
  // the trigger is back: the tamperer cannot quietly put it right either
  await expect(sql(`UPDATE audit_log SET details = '{}'::jsonb WHERE id = $1`, [altered.id])).rejects.toThrow(/append-only/);
}, 60_000);
