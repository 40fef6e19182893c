import { randomUUID } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../../lib/audit/record';
import type { Viewer } from '../../lib/auth/viewer';
import { isUniqueViolation } from '../../lib/db/errors';
import { requireOperator } from '../../lib/auth/operators';
import type { Logger } from '../../lib/logger';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageSize, toConnection, type Connection } from '../../lib/pagination';
import { startPeriodic } from '../../lib/periodic';
import type { PaymentProvider, ProviderRecord } from './provider';
import { compareRecords, type Discrepancy, type OurRecord } from './reconciliation-compare';

export interface ReconciliationSettings {
  /** How far back each run compares (RECONCILIATION_WINDOW_DAYS). */
  windowMs: number;
  /** How often the scheduled run starts, across every instance (RECONCILIATION_INTERVAL_MS; 0: never). */
  intervalMs: number;
}

export interface ReconciliationRunView {
  id: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startedAt: Date;
  finishedAt: Date | null;
  checked: number;
  discrepancies: Discrepancy[];
  /** For the connection's cursor. */
  createdAt: Date;
}

/** A RUNNING run older than this died with its instance: it is FAILED, and another may start. */
const STALE_RUN_MS = 15 * 60_000;
/** Provider records this long before the window still match ours made at its start (clocks differ). */
const MATCH_MARGIN_MS = 86_400_000;
const CURSOR = 'reconciliation-runs';

/**
 * Compares every payment, refund and transfer payments recorded with the provider's own records
 * (reconciliation-compare.ts), on demand (runReconciliation, operators) and on a schedule. Runs are
 * stored with what they found; one runs at a time across every instance (a unique index on the
 * running one), and a run asked for while one is running is that one. An operator's run is audited
 * (reconciliation.run), in the transaction that starts it; the schedule's is the system's and is not.
 */
export class Reconciliation {
  constructor(
    private readonly db: DataSource,
    private readonly provider: PaymentProvider,
    private readonly settings: ReconciliationSettings,
    private readonly logger: Logger,
    /** Wakes the outbox: the audit entry of an operator's run is on its way at once. */
    private readonly afterCommit: () => void,
  ) {}

  /**
   * reconciliation_discrepancies{kind}: what the latest finished run found, read from the database when
   * scraped, so that every instance reports the same whichever ran it.
   */
  register(metrics: Registry): void {
    const db = this.db;
    new Gauge({
      name: 'reconciliation_discrepancies',
      help: 'Discrepancies with the payment provider found by the latest reconciliation run, by kind',
      labelNames: ['kind'],
      registers: [metrics],
      async collect() {
        const rows: { kind: string; n: number }[] = await db.transaction((m) =>
          m.query(
            `SELECT k.kind, count(d.kind)::int AS n
             FROM unnest(ARRAY['MISSING_AT_PROVIDER', 'MISSING_HERE', 'AMOUNT_MISMATCH', 'STATUS_MISMATCH']) AS k(kind)
             LEFT JOIN reconciliation_discrepancies d ON d.kind = k.kind AND d.run_id = (
               SELECT id FROM reconciliation_runs WHERE status = 'SUCCEEDED' ORDER BY started_at DESC LIMIT 1)
             GROUP BY k.kind`,
          ),
        );
        for (const { kind, n } of rows) this.set({ kind }, n);
      },
    });
  }

  /** runReconciliation: operators only. */
  async runFor(viewer: Viewer): Promise<ReconciliationRunView> {
    requireOperator(viewer);
    return this.run(viewer.userId, new Date(), viewer.userId);
  }

  /** `operator`: the user who asked, whose request is audited; null for the schedule. */
  async run(startedBy: string, now = new Date(), operator: string | null = null): Promise<ReconciliationRunView> {
    const windowFrom = new Date(now.getTime() - this.settings.windowMs);
    const started = await this.start(startedBy, windowFrom, operator);
    if (operator) this.afterCommit();
    // another caller's run is under way: it is the answer (it covers the same records)
    if (!started.fresh) return this.view(started.id);
    try {
      const theirs: ProviderRecord[] = [];
      for await (const record of this.provider.listRecords(new Date(windowFrom.getTime() - MATCH_MARGIN_MS))) theirs.push(record);
      const ours = await this.ours(windowFrom);
      const { checked, discrepancies } = compareRecords(ours, theirs, windowFrom);
      await this.db.transaction(async (m) => {
        await m.query(`UPDATE reconciliation_runs SET status = 'SUCCEEDED', finished_at = now(), checked = $2 WHERE id = $1`, [started.id, checked]);
        for (const [position, d] of discrepancies.entries()) {
          await m.query(
            `INSERT INTO reconciliation_discrepancies (run_id, position, kind, reference, expected, actual) VALUES ($1, $2, $3, $4, $5, $6)`,
            [started.id, position, d.kind, d.reference, d.expected, d.actual],
          );
        }
      });
      const log = discrepancies.length ? this.logger.warn.bind(this.logger) : this.logger.info.bind(this.logger);
      log('reconciliation finished', { runId: started.id, checked, discrepancies: discrepancies.length });
    } catch (error) {
      this.logger.error('reconciliation failed', { runId: started.id, error });
      await this.db.transaction((m) =>
        m.query(`UPDATE reconciliation_runs SET status = 'FAILED', finished_at = now(), error = $2 WHERE id = $1`, [
          started.id,
          String((error as Error).message ?? error).slice(0, 500),
        ]),
      );
    }
    return this.view(started.id);
  }

  /**
   * The run that is RUNNING now: a new one, or the one another caller started. An operator's request is
   * audited with the run it got (joined: another's), in the same transaction as the run's start.
   */
  private async start(startedBy: string, windowFrom: Date, operator: string | null): Promise<{ id: string; fresh: boolean }> {
    const id = randomUUID();
    const audit = (m: EntityManager, runId: string, joined: boolean) =>
      operator
        ? recordAudit(m, 'payments', {
            action: 'reconciliation.run',
            actorId: operator,
            targetType: 'reconciliation_run',
            targetId: runId,
            details: { windowFrom: windowFrom.toISOString(), joined },
          })
        : Promise.resolve();
    try {
      await this.db.transaction(async (m) => {
        await m.query(
          `UPDATE reconciliation_runs SET status = 'FAILED', finished_at = now(), error = 'did not finish (its instance stopped)'
           WHERE status = 'RUNNING' AND started_at < $1`,
          [new Date(Date.now() - STALE_RUN_MS)],
        );
        await m.query(`INSERT INTO reconciliation_runs (id, status, started_by, window_from) VALUES ($1, 'RUNNING', $2, $3)`, [id, startedBy, windowFrom]);
        await audit(m, id, false);
      });
      return { id, fresh: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const running = await this.db.transaction(async (m) => {
        const [found]: { id: string }[] = await m.query(`SELECT id FROM reconciliation_runs WHERE status = 'RUNNING'`);
        if (found) await audit(m, found.id, true);
        return found;
      });
      // finished between the two statements: start again
      if (!running) return this.start(startedBy, windowFrom, operator);
      return { id: running.id, fresh: false };
    }
  }

  /** Payments' own records made from windowFrom on. */
  private async ours(windowFrom: Date): Promise<OurRecord[]> {
    return this.db.transaction(async (m) => {
      const payments: { id: string; purchase_id: string; provider_ref: string; amount: number; currency: string; status: string }[] = await m.query(
        `SELECT id, purchase_id, provider_ref, amount, currency, status FROM payments WHERE provider = $1 AND created_at >= $2`,
        [this.provider.name, windowFrom],
      );
      const refunds: { id: string; provider_ref: string | null; amount: number; currency: string; status: string }[] = await m.query(
        `SELECT r.id, r.provider_ref, r.amount, o.currency, r.status FROM refunds r
         JOIN payment_orders o ON o.order_id = r.order_id JOIN payments p ON p.id = o.payment_id
         WHERE p.provider = $1 AND r.created_at >= $2`,
        [this.provider.name, windowFrom],
      );
      const transfers: { id: string; provider_ref: string | null; amount: number; currency: string; status: string }[] = await m.query(
        `SELECT id, provider_ref, amount, currency, status FROM transfers WHERE created_at >= $1`,
        [windowFrom],
      );
      return [
        ...payments.map((p) => ({ kind: 'payment' as const, id: p.id, matchId: p.purchase_id, reference: p.provider_ref, amount: p.amount, currency: p.currency, status: p.status })),
        ...refunds.map((r) => ({ kind: 'refund' as const, id: r.id, matchId: r.id, reference: r.provider_ref, amount: r.amount, currency: r.currency, status: r.status })),
        ...transfers.map((t) => ({ kind: 'transfer' as const, id: t.id, matchId: t.id, reference: t.provider_ref, amount: t.amount, currency: t.currency, status: t.status })),
      ];
    });
  }

  async view(id: string): Promise<ReconciliationRunView> {
    return (await this.views([id]))[0];
  }

  private async views(ids: string[]): Promise<ReconciliationRunView[]> {
    return this.db.transaction(async (m) => {
      const runs: { id: string; status: ReconciliationRunView['status']; started_at: Date; finished_at: Date | null; checked: number }[] = await m.query(
        `SELECT id, status, started_at, finished_at, checked FROM reconciliation_runs WHERE id = ANY($1::uuid[]) ORDER BY started_at DESC, id DESC`,
        [ids],
      );
      const found: ({ run_id: string } & Discrepancy)[] = await m.query(
        `SELECT run_id, kind, reference, expected, actual FROM reconciliation_discrepancies WHERE run_id = ANY($1::uuid[]) ORDER BY run_id, position`,
        [ids],
      );
      return runs.map((r) => ({
        id: r.id,
        status: r.status,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        checked: r.checked,
        createdAt: r.started_at,
        discrepancies: found.filter((d) => d.run_id === r.id).map(({ kind, reference, expected, actual }) => ({ kind, reference, expected, actual })),
      }));
    });
  }

  /** reconciliationRuns: operators only, newest first. */
  async runs(viewer: Viewer, first: number | null | undefined, after: string | null | undefined): Promise<Connection<ReconciliationRunView>> {
    requireOperator(viewer);
    const size = pageSize(first);
    const position = decodeTimeIdCursor(CURSOR, after);
    const { ids, total } = await this.db.transaction(async (m) => {
      const rows: { id: string }[] = await m.query(
        `SELECT id FROM reconciliation_runs WHERE ($1::timestamptz IS NULL OR (started_at, id) < ($1::timestamptz, $2::uuid))
         ORDER BY started_at DESC, id DESC LIMIT $3`,
        [position?.createdAt ?? null, position?.id ?? null, size + 1],
      );
      const [{ n }]: { n: number }[] = await m.query(`SELECT count(*)::int AS n FROM reconciliation_runs`);
      return { ids: rows.map((r) => r.id), total: n };
    });
    const views = await this.views(ids);
    return toConnection(views, size, total, (run) => encodeTimeIdCursor(CURSOR, run));
  }

  /**
   * The scheduled run: every instance ticks, and one starts a run when the last one started more than
   * an interval ago. Returns how to stop it.
   */
  startSchedule(): () => Promise<void> {
    if (this.settings.intervalMs <= 0) return async () => undefined;
    return startPeriodic('scheduled reconciliation', Math.min(this.settings.intervalMs, 60_000), async () => {
      const [last]: { started_at: Date }[] = await this.db.transaction((m) =>
        m.query(`SELECT started_at FROM reconciliation_runs ORDER BY started_at DESC LIMIT 1`),
      );
      if (last && Date.now() - last.started_at.getTime() < this.settings.intervalMs) return;
      await this.run('schedule');
    }, this.logger);
  }
}
