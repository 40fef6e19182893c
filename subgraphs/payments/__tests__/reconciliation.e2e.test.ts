import { randomUUID } from 'node:crypto';
import type { Viewer } from '../../../lib/auth/viewer';
import { codes } from '../../../lib/client/graphql-client';
import { eventually } from '../../../lib/testing/eventually';
import { PaymentRefusedError } from '../provider';
import { TableProviderRecords, TestPaymentProvider } from '../test-provider';
import { buyerViewer, purchaseOf, REFUND, sellerViewer, startPayments, type PaymentsHarness } from './harness';

/**
 * Reconciliation with the test provider (the embedded default), which keeps its own records apart
 * from payments' (test_provider_records): a clean history reports nothing; each kind of discrepancy,
 * injected on the provider's side or ours, is reported; runs are stored and repeatable; reversals of transfers
 * (a refund's, a lost chargeback's) are counted as Stripe counts them and change nothing compared.
 */

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPayments();
});

afterAll(() => h?.stop());

const OPERATOR: Viewer = { userId: randomUUID(), roles: ['buyer', 'operator'], scopes: ['buyer', 'operator'] };
const RUN = `mutation { runReconciliation { id status startedAt finishedAt checked discrepancies { kind reference expected actual } } }`;
const RUNS = `query ($first: Int, $after: String) {
  reconciliationRuns(first: $first, after: $after) { totalCount edges { node { id status checked } } pageInfo { hasNextPage endCursor } }
}`;

interface Run {
  id: string;
  status: string;
  finishedAt: string | null;
  checked: number;
  discrepancies: { kind: string; reference: string; expected: string | null; actual: string | null }[];
}

const run = async () => (await h.ok<{ runReconciliation: Run }>(OPERATOR, RUN)).runReconciliation;

/** A history with every kind of record: payments, a refund, transfers. */
async function tradeHistory() {
  const sellerId = randomUUID();
  await h.onboard(sellerId);
  const delivered = await h.paidOrder(3000, sellerId);
  await h.orderStatus(delivered.purchase, delivered.order, 'DELIVERED');
  const refunded = await h.paidOrder(2000, sellerId);
  const { refundOrder } = await h.ok<{ refundOrder: { id: string } }>(sellerViewer(sellerId), REFUND, { orderId: refunded.order.orderId, amount: 500 });
  await eventually(async () =>
    expect(await h.query(`SELECT status FROM transfers WHERE seller_id = $1`, [sellerId])).toEqual([{ status: 'PAID' }]),
  );
  return { sellerId, refundId: refundOrder.id, transferOrder: delivered.order.orderId };
}

describe('runReconciliation with the test provider', () => {
  test('a clean history: every record checked, no discrepancy', async () => {
    await tradeHistory();
    const clean = await run();
    expect(clean).toMatchObject({ status: 'SUCCEEDED', discrepancies: [] });
    expect(clean.finishedAt).not.toBeNull();
    // two payments, a refund and a transfer, at least
    expect(clean.checked).toBeGreaterThanOrEqual(4);
    // an operator's action: audited with who asked and the run it started
    await h.published();
    expect(h.eventsOf('AuditRecorded', (e) => e.targetId === clean.id)).toEqual([
      expect.objectContaining({
        action: 'reconciliation.run',
        actorId: OPERATOR.userId,
        targetType: 'reconciliation_run',
        details: { windowFrom: expect.any(String), joined: false },
      }),
    ]);
  });

  test('each kind of discrepancy is found; running again finds the same', async () => {
    const { refundId, transferOrder } = await tradeHistory();
    // a charge made at the provider that payments never recorded
    await h.query(
      `INSERT INTO test_provider_records (reference, kind, our_id, amount, currency, state) VALUES ('pi_unrecorded', 'payment', $1, 1234, 'USD', 'succeeded')`,
      [randomUUID()],
    );
    // a transfer the provider made for another amount
    const [{ provider_ref: transferRef, id: transferId }] = await h.query<{ provider_ref: string; id: string }>(
      `SELECT t.provider_ref, t.id FROM transfers t JOIN payment_orders o ON o.transfer_id = t.id WHERE o.order_id = $1`,
      [transferOrder],
    );
    await h.query(`UPDATE test_provider_records SET amount = amount + 1 WHERE reference = $1`, [transferRef]);
    // a refund the provider has no record of
    const [{ provider_ref: refundRef }] = await h.query<{ provider_ref: string }>(`SELECT provider_ref FROM refunds WHERE id = $1`, [refundId]);
    await h.query(`DELETE FROM test_provider_records WHERE reference = $1`, [refundRef]);
    // a transfer held here as FAILED that the provider made
    const other = await tradeHistory();
    const [{ provider_ref: madeRef, id: madeId }] = await h.query<{ provider_ref: string; id: string }>(
      `SELECT provider_ref, id FROM transfers WHERE seller_id = $1`,
      [other.sellerId],
    );
    await h.query(`UPDATE transfers SET status = 'FAILED' WHERE id = $1`, [madeId]);

    const found = await run();
    expect(found.status).toBe('SUCCEEDED');
    expect(found.discrepancies).toEqual([
      { kind: 'AMOUNT_MISMATCH', reference: transferRef, expected: '2700 USD', actual: '2701 USD' },
      { kind: 'MISSING_AT_PROVIDER', reference: refundRef, expected: 'refund 500 USD SUCCEEDED', actual: null },
      { kind: 'MISSING_HERE', reference: 'pi_unrecorded', expected: null, actual: 'payment 1234 USD succeeded' },
      { kind: 'STATUS_MISMATCH', reference: madeRef, expected: 'FAILED', actual: 'succeeded' },
    ]);
    const again = await run();
    expect(again.id).not.toBe(found.id);
    expect(again.discrepancies).toEqual(found.discrepancies);
    expect(transferId).toBeDefined();
    // operators are alerted from the metric of the latest run
    const metrics = await (await fetch(new URL('/metrics', h.subgraph.url))).text();
    for (const kind of ['AMOUNT_MISMATCH', 'MISSING_AT_PROVIDER', 'MISSING_HERE', 'STATUS_MISMATCH']) {
      expect(metrics).toMatch(new RegExp(`reconciliation_discrepancies\\{[^}]*kind="${kind}"[^}]*\\} 1\\b`));
    }

    // put right, the next run is clean again
    await h.query(`UPDATE test_provider_records SET amount = amount - 1 WHERE reference = $1`, [transferRef]);
    await h.query(`DELETE FROM test_provider_records WHERE reference = 'pi_unrecorded'`);
    await h.query(`UPDATE transfers SET status = 'PAID' WHERE id = $1`, [madeId]);
    await h.query(`INSERT INTO test_provider_records (reference, kind, our_id, amount, currency, state) VALUES ($1, 'refund', $2, 500, 'USD', 'succeeded')`, [
      refundRef,
      refundId,
    ]);
    expect((await run()).discrepancies).toEqual([]);
    expect(await (await fetch(new URL('/metrics', h.subgraph.url))).text()).toMatch(/reconciliation_discrepancies\{[^}]*kind="MISSING_HERE"[^}]*\} 0\b/);
  });

  test('a payment whose success never reached payments is money missing here', async () => {
    const purchase = await h.openPayment(purchaseOf([{ lines: [{ categorySlug: 'toys', amount: 800 }] }]));
    const reference = purchase.clientSecret!.replace(/_secret_.*$/, '');
    await h.query(`UPDATE test_provider_records SET state = 'succeeded' WHERE reference = $1`, [reference]);
    const found = await run();
    expect(found.discrepancies).toEqual([{ kind: 'MISSING_HERE', reference, expected: 'payment REQUIRES_PAYMENT', actual: 'payment 800 USD succeeded' }]);
    await h.query(`UPDATE test_provider_records SET state = 'pending' WHERE reference = $1`, [reference]);
  });

  test('runs are stored, newest first, for operators only; one runs at a time', async () => {
    const { reconciliationRuns: page } = await h.ok<{ reconciliationRuns: { totalCount: number; edges: { node: { id: string } }[]; pageInfo: { endCursor: string } } }>(
      OPERATOR,
      RUNS,
      { first: 2 },
    );
    expect(page.totalCount).toBeGreaterThanOrEqual(4);
    const rest = await h.ok<{ reconciliationRuns: { edges: { node: { id: string } }[] } }>(OPERATOR, RUNS, { first: 2, after: page.pageInfo.endCursor });
    expect(rest.reconciliationRuns.edges.map((e) => e.node.id)).not.toContain(page.edges[0].node.id);

    // another instance's run under way: asking again is that run, and starts none
    const elsewhere = randomUUID();
    await h.query(`INSERT INTO reconciliation_runs (id, status, started_by, window_from) VALUES ($1, 'RUNNING', 'schedule', now())`, [elsewhere]);
    const runs = await h.count(`SELECT count(*) AS n FROM reconciliation_runs`);
    expect(await run()).toMatchObject({ id: elsewhere, status: 'RUNNING' });
    expect(await h.count(`SELECT count(*) AS n FROM reconciliation_runs`)).toBe(runs);
    // the operator asked all the same: audited, with the run they were given
    await h.published();
    expect(h.eventsOf('AuditRecorded', (e) => e.targetId === elsewhere)).toEqual([
      expect.objectContaining({ action: 'reconciliation.run', actorId: OPERATOR.userId, details: expect.objectContaining({ joined: true }) }),
    ]);
    // its instance died: once stale it is FAILED, and a new run goes ahead
    await h.query(`UPDATE reconciliation_runs SET started_at = now() - interval '20 minutes' WHERE id = $1`, [elsewhere]);
    expect(await run()).toMatchObject({ status: 'SUCCEEDED' });
    expect(await h.query(`SELECT status FROM reconciliation_runs WHERE id = $1`, [elsewhere])).toEqual([{ status: 'FAILED' }]);

    const before = await h.count(`SELECT count(*) AS n FROM reconciliation_runs`);
    await h.published();
    const audited = h.eventsOf('AuditRecorded', (e) => e.action === 'reconciliation.run').length;
    // an operator by role without a two-factor sign-in has no operator scope
    const roleOnly: Viewer = { userId: randomUUID(), roles: ['buyer', 'operator'], scopes: ['buyer'] };
    for (const viewer of [buyerViewer(randomUUID()), sellerViewer(randomUUID()), roleOnly]) {
      expect(codes(await h.call(viewer, RUN))).toEqual(['FORBIDDEN']);
      expect(codes(await h.call(viewer, RUNS, {}))).toEqual(['FORBIDDEN']);
    }
    expect(codes(await h.call(null, RUN))).toEqual(['UNAUTHENTICATED']);
    expect((await h.call(roleOnly, RUN)).errors?.[0].message).toMatch(/two-factor/);
    expect(await h.count(`SELECT count(*) AS n FROM reconciliation_runs`)).toBe(before);
    await h.published();
    expect(h.eventsOf('AuditRecorded', (e) => e.action === 'reconciliation.run')).toHaveLength(audited);
  });

  test('transfer reversals at the test provider count against what is left of the transfer, as at Stripe, and leave reconciliation clean', async () => {
    const { sellerId, transferOrder } = await tradeHistory();
    const [{ provider_ref: transferRef }] = await h.query<{ provider_ref: string }>(
      `SELECT t.provider_ref FROM transfers t JOIN payment_orders o ON o.transfer_id = t.id WHERE o.order_id = $1`,
      [transferOrder],
    );
    // a refund after the transfer takes the seller's share back from it first: 450 of 500 (10 % fee), of 2700
    await h.ok(sellerViewer(sellerId), REFUND, { orderId: transferOrder, amount: 500 });
    // the subgraph's own provider keeps its records in this table: a second one over it sees the same transfers
    const provider = new TestPaymentProvider(new TableProviderRecords(h.subgraph.db));
    const reverse = (amount: number, idempotencyKey: string, transferReference = transferRef) =>
      provider.reverseTransfer({ transferReference, amount: { amount, currency: 'USD' }, metadata: {}, idempotencyKey });
    await expect(reverse(2251, 'too-much')).rejects.toBeInstanceOf(PaymentRefusedError);
    const { reference } = await reverse(2250, 'the-rest');
    expect(reference).toMatch(/^trr_/);
    // the same key is the same reversal: nothing more is taken
    expect(await reverse(2250, 'the-rest')).toEqual({ reference });
    await expect(reverse(1, 'one-more')).rejects.toBeInstanceOf(PaymentRefusedError);
    await expect(reverse(1, 'unknown', 'tr_unknown')).rejects.toBeInstanceOf(PaymentRefusedError);
    expect(await h.query(`SELECT amount, reversed FROM test_provider_records WHERE reference = $1`, [transferRef])).toEqual([{ amount: 2700, reversed: 2700 }]);
    // a transfer keeps the amount it was made for on both sides, whatever came back of it since
    expect((await run()).discrepancies).toEqual([]);
  });
});
