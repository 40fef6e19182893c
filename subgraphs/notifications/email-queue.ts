import PgBoss from 'pg-boss';
import { Counter, type Registry } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../../lib/db/affected';
import type { Logger } from '../../lib/logger';
import { sqlOf, TrackedBossDb } from './boss-sql';
import { isPermanentFailure, type Mailer, type OutgoingEmail } from './mailer';

const QUEUE = 'notification-email';
/** A worker that claimed an email and died leaves it to another after this (an SMTP exchange takes seconds). */
const CLAIM_SECONDS = 120;
/** How often an idle worker looks for jobs another instance queued (this instance's own wake it at once). */
const POLL_MS = 1000;

export interface DeadLetter {
  id: string;
  to: string;
  subject: string;
  attempts: number;
  error: string | null;
  createdAt: Date;
}

export interface QueueSettings {
  maxAttempts: number;
  retryDelaySeconds: number;
  concurrency: number;
}

/**
 * Email through a durable queue: pg-boss, on the subgraph's own PostgreSQL (PGlite included), so that
 * a job commits with the notification that asks for it (no email without its notification, nor the
 * reverse) and the embedded default needs no broker. pg-boss gives the retries with backoff and hands
 * each job to one worker of all instances; the `emails` row gives exactly one sending: a worker sends
 * only the email it claimed, so a job run twice (an expired one retried while its first worker still
 * sends) finds it SENT or claimed and does nothing. After `maxAttempts`, or at once when the server
 * refuses for good (5xx), the email is DEAD: the dead-letter list is the emails table itself, so that it
 * says why and operators retry by id (`npm run notifications`).
 */
export class EmailQueue {
  private readonly boss: PgBoss;
  private readonly bossDb: TrackedBossDb;
  private readonly outcomes: Counter<'outcome'>;
  /** The workers' loops, awaited on stop. */
  private workers: Promise<void>[] = [];
  private stopping = false;
  /** Idle workers wait on these; wake() and stop() call them. */
  private waiting: (() => void)[] = [];

  constructor(
    private readonly db: DataSource,
    /** Null where no worker runs (the command line only queues). */
    private readonly mailer: Mailer | null,
    private readonly settings: QueueSettings,
    private readonly logger: Logger,
    metrics?: Registry,
  ) {
    this.bossDb = new TrackedBossDb(db);
    this.boss = new PgBoss({
      db: this.bossDb,
      schema: 'pgboss',
      // No cron jobs here: without `schedule: false` pg-boss runs a timekeeper (a worker of its own and clock
      // checks) whose loop goes on after stop() returns, on a database that may be closed by then.
      schedule: false,
      // Maintenance stays: it fails the jobs of a worker that died holding them (expireInSeconds), so that they
      // are retried, and archives what is done. stop() clears its timer; stop() below waits for a run in flight.
      supervise: true,
    });
    this.boss.on('error', (error) => logger.warn('email queue error', { error }));
    this.outcomes = new Counter({
      name: 'emails_total',
      help: 'Email attempts by outcome: sent, retried (the server failed for now) or dead (refused for good, or out of attempts)',
      labelNames: ['outcome'],
      registers: metrics ? [metrics] : [],
    });
  }

  /** Prepares pg-boss's tables and the queue, and starts this instance's workers unless `work` is false (the command line). */
  async start({ work = true }: { work?: boolean } = {}): Promise<void> {
    await this.boss.start();
    const options = {
      name: QUEUE,
      retryLimit: this.settings.maxAttempts - 1,
      retryDelay: this.settings.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: CLAIM_SECONDS,
    };
    await this.boss.createQueue(QUEUE, options);
    await this.boss.updateQueue(QUEUE, options);
    if (!work || !this.mailer) return;
    this.workers = Array.from({ length: this.settings.concurrency }, () => this.work());
  }

  /**
   * Stops taking jobs, lets the ones in hand finish, then stops pg-boss: when this returns, nothing of
   * the queue runs any more (no timer, no statement in flight), and the database may close.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeAll();
    await Promise.all(this.workers);
    // graceful: false, as the workers pg-boss would wait for are ours and have ended; stop() then resolves
    // once pg-boss has stopped (not merely begun to), and with its maintenance timer cleared
    await this.boss.stop({ graceful: false, wait: true });
    await this.bossDb.settled();
    this.mailer?.close();
  }

  /**
   * One worker: fetch a job, send, complete or fail it, again. Written out rather than pg-boss's
   * work(), whose stop() returns while a fetch is still in flight: the job it brings back would then be
   * run against a closed database. Here stop() waits for each loop to end.
   */
  private async work(): Promise<void> {
    while (!this.stopping) {
      let jobs: PgBoss.JobWithMetadata<{ emailId: string }>[];
      try {
        jobs = (await this.boss.fetch<{ emailId: string }>(QUEUE, { batchSize: 1, includeMetadata: true })) ?? [];
      } catch (error) {
        this.logger.warn('email queue unreachable', { error });
        await this.idle(POLL_MS * 5);
        continue;
      }
      if (jobs.length === 0) {
        await this.idle(POLL_MS);
        continue;
      }
      for (const job of jobs) {
        try {
          await this.deliver(job.data.emailId, job.retryCount);
          await this.boss.complete(QUEUE, job.id);
        } catch (error) {
          // pg-boss retries it after its backoff, or gives up after the last attempt (deliver made it DEAD then)
          await this.boss.fail(QUEUE, job.id, { message: String((error as Error).message ?? error) }).catch((failed: unknown) =>
            this.logger.warn('email job could not be failed; it expires and is retried', { error: failed }),
          );
        }
      }
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting = this.waiting.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.push(done);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.waiting]) wake();
  }

  /** Queues emails in the caller's transaction: they are sent only if it commits. */
  async enqueue(manager: EntityManager, emailIds: string[]): Promise<void> {
    if (emailIds.length === 0) return;
    await this.boss.insert(emailIds.map((emailId) => ({ name: QUEUE, data: { emailId } })), { db: sqlOf(manager) });
  }

  /** Wakes this instance's idle workers, after a commit that queued emails. */
  wake(): void {
    this.wakeAll();
  }

  /** The dead letters, oldest first, with why they died. */
  async deadLetters(): Promise<DeadLetter[]> {
    const rows: { id: string; to_address: string; subject: string; attempts: number; last_error: string | null; created_at: Date }[] = await this.db.query(
      `SELECT id, to_address, subject, attempts, last_error, created_at FROM emails WHERE status = 'DEAD' ORDER BY created_at, id`,
    );
    return rows.map((row) => ({ id: row.id, to: row.to_address, subject: row.subject, attempts: row.attempts, error: row.last_error, createdAt: new Date(row.created_at) }));
  }

  /** Dead letters back to the queue, with a fresh set of attempts. Returns how many. */
  async retryDead(ids: string[] | 'all'): Promise<number> {
    const revived = await this.db.transaction(async (manager) => {
      const rows = returnedRows<{ id: string }>(
        await manager.query(
          `UPDATE emails SET status = 'PENDING', attempts = 0, last_error = NULL
            WHERE status = 'DEAD' AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[])) RETURNING id`,
          [ids === 'all' ? null : ids],
        ),
      );
      await this.enqueue(manager, rows.map((row) => row.id));
      return rows.length;
    });
    this.wake();
    return revived;
  }

  /** One attempt at one email; throws to have pg-boss retry it later. */
  private async deliver(emailId: string, retryCount: number): Promise<void> {
    const email = await this.claim(emailId);
    if (!email) return;
    try {
      await this.mailer!.send(email);
    } catch (error) {
      const last = retryCount + 1 >= this.settings.maxAttempts;
      const dead = last || isPermanentFailure(error);
      await this.db.query(`UPDATE emails SET status = $2, last_error = $3, claimed_until = NULL WHERE id = $1`, [
        emailId,
        dead ? 'DEAD' : 'PENDING',
        String((error as Error).message ?? error).slice(0, 1000),
      ]);
      this.outcomes.inc({ outcome: dead ? 'dead' : 'retried' });
      if (dead) {
        this.logger.warn('email is a dead letter', { emailId, attempts: retryCount + 1, error });
        return;
      }
      throw error;
    }
    await this.db.query(`UPDATE emails SET status = 'SENT', sent_at = now(), claimed_until = NULL WHERE id = $1`, [emailId]);
    this.outcomes.inc({ outcome: 'sent' });
  }

  /** Takes an email to send if nobody has sent it or holds it: the one guard against sending twice. */
  private async claim(emailId: string): Promise<OutgoingEmail | undefined> {
    const [row] = returnedRows<{ id: string; to_address: string; subject: string; text_body: string; html_body: string; unsubscribe_url: string | null }>(
      await this.db.query(
        `UPDATE emails SET status = 'SENDING', attempts = attempts + 1, claimed_until = now() + make_interval(secs => $2)
          WHERE id = $1 AND (status = 'PENDING' OR (status = 'SENDING' AND claimed_until < now()))
          RETURNING id, to_address, subject, text_body, html_body, unsubscribe_url`,
        [emailId, CLAIM_SECONDS],
      ),
    );
    if (!row) return undefined;
    return { id: row.id, to: row.to_address, subject: row.subject, text: row.text_body, html: row.html_body, unsubscribeUrl: row.unsubscribe_url };
  }
}
