import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { isEvent, type MarketplaceEvent } from '../../lib/events/catalog';
import type { EventEnvelope } from '../../lib/events/types';
import { ROOT } from '../../schema/subgraphs';
import { notificationsConfig } from '../../subgraphs/notifications/config';
import { startTestStack, type TestStack } from '../test-stack';

/**
 * Notification fan-out, measured: BENCH_NOTIFICATION_EVENTS order events (10,000: half the orders' PAID, which tells the
 * seller, half their SHIPPED, which tells the buyer) reach the notifications subgraph on the bus; each makes one notification,
 * in the app and by email, sent by the subgraph's workers (EMAIL_CONCURRENCY) to an SMTP server in this process. Buyers
 * (BENCH_NOTIFICATION_BUYERS, 1,000) and sellers (BENCH_NOTIFICATION_SELLERS, 100) are registered first by their accounts
 * events, as accounts would, so that the subgraph never has to ask accounts for an address.
 *
 * Events go out in batches of BENCH_NOTIFICATION_BATCH (100), by default as fast as the subgraph takes them: the next batch
 * leaves once fewer than BENCH_NOTIFICATION_WINDOW (200) events wait for the notifications consumer, as a producer behind a
 * broker would see it, so that the rates are what the subgraph sustains and the delays what an event meets at that pace
 * (a queue of a few batches, not of the whole run). BENCH_NOTIFICATION_WINDOW=0 publishes everything at once instead (a
 * burst: the delays are then mostly the wait in the backlog, the p50 about half the time it takes to drain), and
 * BENCH_NOTIFICATION_RATE=<events a second> at that steady rate whatever the backlog. Reports notifications created a second
 * (first publish → last row), emails a second (first publish → last message received) and the delay from each event's
 * occurredAt to its email's arrival, p50 and p99; then checks that every event made exactly one notification and one email,
 * received once at the right address, and fails otherwise. Embedded PGlite and the in-process bus by default; fresh
 * databases on BENCH_DATABASE_URL's (or DATABASE_URL's) server and a Redis stream of its own on REDIS_URL when set, dropped
 * at the end. Results go to scripts/bench/results/notifications-<database>[-redis][-<pace>].json.
 */
const integer = (name: string, fallback: number, least = 1): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < least) throw new Error(`${name} must be an integer of at least ${least}, got "${process.env[name]}"`);
  return value;
};
const positive = (name: string, fallback: number) => integer(name, fallback);
const EVENTS = positive('BENCH_NOTIFICATION_EVENTS', 10_000);
const BUYERS = positive('BENCH_NOTIFICATION_BUYERS', 1000);
const SELLERS = positive('BENCH_NOTIFICATION_SELLERS', 100);
const BATCH = positive('BENCH_NOTIFICATION_BATCH', 100);
/** Events a second, whatever the backlog; unset: paced by the consumer's backlog. */
const RATE = process.env.BENCH_NOTIFICATION_RATE ? positive('BENCH_NOTIFICATION_RATE', 1) : undefined;
/** Events waiting for the notifications consumer below which the next batch leaves; 0: no limit, everything at once. */
const WINDOW = integer('BENCH_NOTIFICATION_WINDOW', 200, 0);
const PACE = RATE ? `${RATE}-per-s` : WINDOW ? '' : 'burst';
/** How long to wait, after the last publish, for every email. */
const TIMEOUT_SECONDS = positive('BENCH_NOTIFICATION_TIMEOUT_SECONDS', 600);
/** Nothing moved (no notification, no email, no event handled) this long: something is lost; stop waiting, say what. Above the first retry's 30 s. */
const STALL_SECONDS = 60;
/** Each order's SHIPPED follows its PAID by this many orders' events, so that the two are not handled side by side, as in life. */
const SHIP_LAG_ORDERS = 500;
const PROGRESS_MS = 5000;

const say = (message: string) => console.log(message);
const progress = (message: string) => process.stderr.write(`${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const thousands = (n: number) => n.toLocaleString('en');

interface Receipt {
  /** The email's id, from the Message-ID the mailer gives it (`<id@domain>`); empty when the message had none. */
  emailId: string;
  to: string;
  at: number;
}

/**
 * The mail server the subgraph sends to, in this process. Not lib/testing/smtp.ts's TestSmtpServer: that one parses every
 * message (MIME, text and HTML) with mailparser, on the thread the whole embedded stack runs on, and at hundreds of messages
 * a second the parsing would take from what is measured. This one reads only the envelope's recipient and the header's
 * Message-ID, and notes when the message's last byte arrived: when a real server would have it.
 */
class ReceivingSmtpServer {
  readonly receipts: Receipt[] = [];
  private server?: SMTPServer;

  get url(): string {
    return `smtp://127.0.0.1:${(this.server!.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // the mailer's pooled connections are not waited for on stop
      closeTimeout: 100,
      onData: (stream, session, callback) => {
        let head = '';
        stream.on('data', (chunk: Buffer) => {
          // the header only, which comes first; the body is read and dropped
          if (head.length < 16_384 && !head.includes('\r\n\r\n')) head += chunk.toString('latin1');
        });
        stream.once('error', (error) => callback(error));
        stream.once('end', () => {
          const at = Date.now();
          const emailId = /^message-id:\s*<([^@>\s]+)@/im.exec(head.split('\r\n\r\n')[0])?.[1] ?? '';
          for (const rcpt of session.envelope.rcptTo) this.receipts.push({ emailId, to: rcpt.address, at });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface Person {
  userId: string;
  email: string;
}
interface Seller extends Person {
  sellerId: string;
}
interface BenchOrder {
  orderId: string;
  purchaseId: string;
  buyer: Person;
  seller: Seller;
  amount: number;
}
type Status = 'PAID' | 'SHIPPED';
/** What each status tells, and whom. */
const KIND: Record<Status, string> = { PAID: 'NEW_ORDER', SHIPPED: 'ORDER_SHIPPED' };
const recipientOf = (order: BenchOrder, status: Status): Person => (status === 'PAID' ? order.seller : order.buyer);

/** PAID of every order, each order's SHIPPED SHIP_LAG_ORDERS orders later, EVENTS in all. */
function eventSequence(orders: BenchOrder[]): { order: BenchOrder; status: Status }[] {
  const sequence: { order: BenchOrder; status: Status }[] = [];
  orders.forEach((order, i) => {
    sequence.push({ order, status: 'PAID' });
    if (i >= SHIP_LAG_ORDERS) sequence.push({ order: orders[i - SHIP_LAG_ORDERS], status: 'SHIPPED' });
  });
  for (const order of orders.slice(Math.max(0, orders.length - SHIP_LAG_ORDERS))) sequence.push({ order, status: 'SHIPPED' });
  return sequence.slice(0, EVENTS);
}

function orderEvent(order: BenchOrder, status: Status, occurredAt: string): MarketplaceEvent<'OrderStatusChanged'> {
  return {
    id: randomUUID(),
    type: 'OrderStatusChanged',
    source: 'orders',
    occurredAt,
    payload: {
      orderId: order.orderId,
      purchaseId: order.purchaseId,
      buyerId: order.buyer.userId,
      sellerId: order.seller.sellerId,
      previousStatus: status === 'PAID' ? 'PENDING_PAYMENT' : 'ACCEPTED',
      status,
      at: occurredAt,
      items: [{ listingId: randomUUID(), quantity: 1 }],
      total: { amount: order.amount, currency: 'USD' },
      // as orders says it: payments marks an order paid, its seller ships it
      by: status === 'PAID' ? 'SYSTEM' : 'SELLER',
      ...(status === 'SHIPPED' ? { shipment: { carrier: 'UPS', trackingNumber: `1Z${order.orderId.slice(0, 8).toUpperCase()}` } } : {}),
    },
  };
}

/** Buyers and sellers as accounts announces them: an address for each user, the owner of each shop. */
async function register(stack: TestStack, buyers: Person[], sellers: Seller[]): Promise<void> {
  const at = new Date().toISOString();
  const events: EventEnvelope[] = [
    ...[...buyers, ...sellers].map((person, i) => ({
      id: randomUUID(),
      type: 'UserRegistered',
      source: 'accounts',
      occurredAt: at,
      payload: { userId: person.userId, email: person.email, displayName: `Bench user ${i}`, at },
    })),
    ...sellers.map((seller, i) => ({
      id: randomUUID(),
      type: 'SellerRegistered',
      source: 'accounts',
      occurredAt: at,
      payload: { sellerId: seller.sellerId, shopName: `Bench shop ${i}`, at, userId: seller.userId },
    })),
  ];
  for (let i = 0; i < events.length; i += 500) await stack.bus.publish(events.slice(i, i + 500));
  const db = stack.subgraphs.notifications.db;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const [known]: { recipients: number; shops: number }[] = await db.query(
      `SELECT (SELECT count(*) FROM recipients)::int AS recipients, (SELECT count(*) FROM shops)::int AS shops`,
    );
    if (known.recipients >= buyers.length + sellers.length && known.shops >= sellers.length) return;
    if (Date.now() > deadline) throw new Error(`notifications learnt only ${known.recipients} addresses and ${known.shops} shops`);
    await sleep(200);
  }
}

interface Figures {
  notificationsPerSecond: number;
  emailsPerSecond: number;
  secondsToLastNotification: number;
  secondsToLastEmail: number;
  publishSeconds: number;
  eventToNotificationMs: { p50: number; p99: number; max: number };
  eventToEmailMs: { p50: number; p99: number; max: number };
  /** To NotificationCreated on the bus: when a live subscriber would see it in the app. */
  eventToInAppMs: { p50: number; p99: number; max: number };
  /** CPU of this whole process (the stack, the SMTP server, the publisher) per event; not PostgreSQL's, when on a server. */
  cpuMsPerEvent: number;
  /** SQL statements each subgraph ran per event, email sending included. */
  statementsPerEvent: Record<string, number>;
}

interface NotificationRow {
  id: string;
  user_id: string;
  kind: string;
  order_id: string;
  in_app: boolean;
  created_at: Date;
}
interface EmailRow {
  id: string;
  notification_id: string | null;
  to_address: string;
  status: string;
}

/**
 * Every event made exactly one notification, to the right user, in the app; each notification exactly one email, SENT,
 * received exactly once at its recipient's address; nothing else was sent. Returns what went wrong, counted by kind.
 */
function verify(
  published: Map<string, { occurredAt: number; recipient: Person }>,
  notifications: NotificationRow[],
  emails: EmailRow[],
  receipts: Receipt[],
  liveEvents: number,
): string[] {
  const problems = new Map<string, number>();
  const problem = (what: string) => problems.set(what, (problems.get(what) ?? 0) + 1);

  const byEvent = new Map<string, NotificationRow>();
  for (const row of notifications) {
    const key = `${row.order_id}:${row.kind}`;
    const expected = published.get(key);
    if (!expected) problem('notifications for no event published');
    else if (byEvent.has(key)) problem('events with more than one notification');
    else if (row.user_id !== expected.recipient.userId) problem('notifications to the wrong user');
    if (!row.in_app) problem('notifications not in the app');
    byEvent.set(key, row);
  }
  for (const key of published.keys()) if (!byEvent.has(key)) problem('events without a notification');
  if (liveEvents !== notifications.length) {
    problems.set(`in-app events (NotificationCreated) for ${thousands(notifications.length)} notifications`, liveEvents);
  }

  const emailsOf = new Map<string, EmailRow[]>();
  for (const email of emails) {
    if (!email.notification_id) problem('emails of no notification');
    else emailsOf.set(email.notification_id, [...(emailsOf.get(email.notification_id) ?? []), email]);
    if (email.status !== 'SENT') problem(`emails left ${email.status}`);
  }
  const recipientOfRow = new Map(notifications.map((row) => [row.id, published.get(`${row.order_id}:${row.kind}`)?.recipient]));
  for (const row of notifications) {
    const its = emailsOf.get(row.id) ?? [];
    if (its.length !== 1) problem(its.length ? 'notifications with more than one email' : 'notifications without an email');
    for (const email of its) if (email.to_address !== recipientOfRow.get(row.id)?.email) problem('emails to the wrong address');
  }

  const emailById = new Map(emails.map((email) => [email.id, email]));
  const received = new Map<string, number>();
  for (const receipt of receipts) {
    received.set(receipt.emailId, (received.get(receipt.emailId) ?? 0) + 1);
    const email = emailById.get(receipt.emailId);
    if (!email) problem('messages received of no email (or without its Message-ID)');
    else if (email.to_address !== receipt.to) problem('messages received at an address other than their email’s');
  }
  for (const email of emails) {
    const times = received.get(email.id) ?? 0;
    if (times !== 1) problem(times ? 'emails received more than once' : 'emails never received');
  }
  return [...problems].map(([what, n]) => `${thousands(n)} ${what}`);
}

async function main() {
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || undefined;
  // the stack makes its fresh databases (and drops them) on DATABASE_URL's server
  if (serverUrl) process.env.DATABASE_URL = serverUrl;
  const database = serverUrl ? 'postgres' : 'embedded';
  const bus = process.env.REDIS_URL ? 'redis' : 'in-process';

  const smtp = await new ReceivingSmtpServer().start();
  const env = { ...process.env, SMTP_URL: smtp.url };
  const emailConcurrency = notificationsConfig(env).emailConcurrency;
  // SQL statements by subgraph: where the work of an event goes (a count, next to the cost of a statement)
  const statements = new Map<string, number>();
  const stack = await startTestStack({ env, onQuery: (subgraph) => void statements.set(subgraph, (statements.get(subgraph) ?? 0) + 1) });
  let stopTail: (() => Promise<void>) | undefined;
  try {
    const described =
      `${thousands(EVENTS)} order events to ${thousands(BUYERS)} buyers and ${thousands(SELLERS)} sellers, ` +
      `${serverUrl ? `PostgreSQL on ${new URL(serverUrl).host}` : 'embedded PGlite'}, ${bus === 'redis' ? 'Redis Streams' : 'the in-process'} bus, ` +
      `${RATE ? `${thousands(RATE)} events a second` : WINDOW ? `paced by the consumer (under ${thousands(WINDOW)} waiting)` : 'all at once'} ` +
      `in batches of ${BATCH}, ${emailConcurrency} email workers`;
    progress(`notifications benchmark: ${described}`);

    const person = (role: string, i: number): Person => ({ userId: randomUUID(), email: `bench-${role}-${i}@example.com` });
    const buyers = Array.from({ length: BUYERS }, (_, i) => person('buyer', i));
    const sellers: Seller[] = Array.from({ length: SELLERS }, (_, i) => ({ ...person('seller', i), sellerId: randomUUID() }));
    await register(stack, buyers, sellers);
    progress(`registered ${thousands(BUYERS)} buyers and ${thousands(SELLERS)} sellers`);

    const orders: BenchOrder[] = Array.from({ length: Math.ceil(EVENTS / 2) }, (_, i) => ({
      orderId: randomUUID(),
      purchaseId: randomUUID(),
      buyer: buyers[i % BUYERS],
      seller: sellers[i % SELLERS],
      amount: 1000 + (i % 50) * 100,
    }));
    const sequence = eventSequence(orders);

    // in-app notifications as the app sees them: NotificationCreated on the bus, which live subscriptions follow; when each
    // first came, by order and kind
    let liveEvents = 0;
    const inApp = new Map<string, number>();
    stopTail = await stack.bus.tail(async (event) => {
      if (!isEvent(event, 'NotificationCreated')) return;
      liveEvents++;
      const key = `${event.payload.orderId}:${event.payload.kind}`;
      if (!inApp.has(key)) inApp.set(key, Date.now());
    });

    // by order and kind (what a notification row says of its event): when the event occurred, whom it tells
    const published = new Map<string, { occurredAt: number; recipient: Person }>();
    const cpuBefore = process.cpuUsage();
    const statementsBefore = new Map(statements);
    const firstPublishAt = Date.now();
    let lastPublishAt = firstPublishAt;
    // progress is read from the bus and the SMTP server, never from the database: on the embedded one (a single connection)
    // a count would queue behind every transaction waiting and say nothing until the backlog drained
    let backlog = 0;
    const readBacklog = async () => (backlog = await stack.bus.backlog('notifications'));
    const started = performance.now();
    const report = setInterval(() => {
      progress(
        `[${((performance.now() - started) / 1000).toFixed(0)} s] published ${thousands(published.size)} / ${thousands(EVENTS)}, ` +
          `notifications ${thousands(liveEvents)}, emails received ${thousands(smtp.receipts.length)}; ` +
          `notifications' backlog ${thousands(backlog)} events`,
      );
    }, PROGRESS_MS);

    try {
      for (let i = 0; i < sequence.length; i += BATCH) {
        if (RATE) {
          const due = firstPublishAt + (i / RATE) * 1000;
          if (due > Date.now()) await sleep(due - Date.now());
        } else if (WINDOW) {
          while ((await readBacklog()) >= WINDOW) await sleep(20);
        }
        const now = new Date();
        const occurredAt = now.toISOString();
        const batch = sequence.slice(i, i + BATCH);
        for (const { order, status } of batch) {
          published.set(`${order.orderId}:${KIND[status]}`, { occurredAt: now.getTime(), recipient: recipientOf(order, status) });
        }
        await stack.bus.publish(batch.map(({ order, status }) => orderEvent(order, status, occurredAt)));
        lastPublishAt = Date.now();
      }
      const publishSeconds = (lastPublishAt - firstPublishAt) / 1000;
      progress(`published ${thousands(EVENTS)} events in ${publishSeconds.toFixed(1)} s`);

      // until every notification is in the app and every email arrived, or nothing has moved for too long
      const deadline = lastPublishAt + TIMEOUT_SECONDS * 1000;
      let seen = '';
      let movedAt = Date.now();
      while ((liveEvents < EVENTS || smtp.receipts.length < EVENTS) && Date.now() < deadline && Date.now() - movedAt < STALL_SECONDS * 1000) {
        await sleep(250);
        const state = `${liveEvents} ${smtp.receipts.length} ${await readBacklog().catch(() => backlog)}`;
        if (state !== seen) {
          seen = state;
          movedAt = Date.now();
        }
      }
      const cpu = process.cpuUsage(cpuBefore);
      const statementsPerEvent = Object.fromEntries(
        [...statements]
          .map(([subgraph, n]) => [subgraph, Number(((n - (statementsBefore.get(subgraph) ?? 0)) / EVENTS).toFixed(1))])
          .filter(([, n]) => n),
      );
      clearInterval(report);

      // a moment for a message sent twice to arrive twice, and for the workers to mark the last ones SENT
      const db = stack.subgraphs.notifications.db;
      await sleep(2000);
      for (let i = 0; i < 50; i++) {
        const [{ unsent }]: { unsent: number }[] = await db.query(`SELECT count(*)::int AS unsent FROM emails WHERE status <> 'SENT'`);
        if (unsent === 0) break;
        await sleep(200);
      }
      const notifications: NotificationRow[] = await db.query(`SELECT id, user_id, kind, order_id, in_app, created_at FROM notifications`);
      const emails: EmailRow[] = await db.query(`SELECT id, notification_id, to_address, status FROM emails`);
      const receipts = [...smtp.receipts];
      const problems = verify(published, notifications, emails, receipts, liveEvents);

      const notificationOf = new Map(notifications.map((row) => [row.id, row]));
      const occurredOf = (row: NotificationRow | undefined) => (row ? published.get(`${row.order_id}:${row.kind}`)?.occurredAt : undefined);
      const toNotification = notifications.flatMap((row) => {
        const occurred = occurredOf(row);
        return occurred === undefined ? [] : [new Date(row.created_at).getTime() - occurred];
      });
      const emailNotification = new Map(emails.map((email) => [email.id, notificationOf.get(email.notification_id ?? '')]));
      // the first arrival of each email (a second one is a problem reported above, not a delay)
      const firstArrival = new Map<string, number>();
      for (const receipt of receipts) if (!firstArrival.has(receipt.emailId)) firstArrival.set(receipt.emailId, receipt.at);
      const toEmail = [...firstArrival].flatMap(([emailId, at]) => {
        const occurred = occurredOf(emailNotification.get(emailId));
        return occurred === undefined ? [] : [at - occurred];
      });
      const toInApp = [...inApp].flatMap(([key, at]) => {
        const occurred = published.get(key)?.occurredAt;
        return occurred === undefined ? [] : [at - occurred];
      });
      toInApp.sort((a, b) => a - b);
      toNotification.sort((a, b) => a - b);
      toEmail.sort((a, b) => a - b);
      const lastCreatedAt = notifications.reduce((last, row) => Math.max(last, new Date(row.created_at).getTime()), firstPublishAt);
      const lastReceiptAt = receipts.reduce((last, receipt) => Math.max(last, receipt.at), firstPublishAt);
      const spread = (sorted: number[]) => ({ p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN });
      const figures: Figures = {
        notificationsPerSecond: notifications.length / ((lastCreatedAt - firstPublishAt) / 1000),
        emailsPerSecond: firstArrival.size / ((lastReceiptAt - firstPublishAt) / 1000),
        secondsToLastNotification: (lastCreatedAt - firstPublishAt) / 1000,
        secondsToLastEmail: (lastReceiptAt - firstPublishAt) / 1000,
        publishSeconds,
        eventToNotificationMs: spread(toNotification),
        eventToEmailMs: spread(toEmail),
        eventToInAppMs: spread(toInApp),
        cpuMsPerEvent: (cpu.user + cpu.system) / 1000 / EVENTS,
        statementsPerEvent,
      };

      const kinds = Object.values(KIND).map((kind) => `${kind} ${notifications.filter((row) => row.kind === kind).length}`);
      say(`\nnotification fan-out: ${described}`);
      say(
        `  notifications created: ${thousands(notifications.length)} (${kinds.join(', ')}; ${thousands(liveEvents)} in the app) ` +
          `in ${figures.secondsToLastNotification.toFixed(1)} s, ${figures.notificationsPerSecond.toFixed(0)}/s`,
      );
      const emailsIn = `${figures.secondsToLastEmail.toFixed(1)} s, ${figures.emailsPerSecond.toFixed(0)}/s`;
      say(`  emails sent: ${thousands(firstArrival.size)} received in ${emailsIn}`);
      const ms = (s: Figures['eventToEmailMs']) => `p50 ${thousands(s.p50)} ms, p99 ${thousands(s.p99)} ms, max ${thousands(s.max)} ms`;
      say(`  event → email received: ${ms(figures.eventToEmailMs)}`);
      say(`  event → notification row: ${ms(figures.eventToNotificationMs)}`);
      say(`  event → in the app (NotificationCreated on the bus): ${ms(figures.eventToInAppMs)}`);
      const cpuMs = figures.cpuMsPerEvent.toFixed(1);
      say(`  published in ${publishSeconds.toFixed(1)} s; CPU of this process (stack, SMTP server, publisher) ${cpuMs} ms per event`);
      say(`  SQL statements per event: ${Object.entries(statementsPerEvent).map(([subgraph, n]) => `${subgraph} ${n}`).join(', ')}`);
      if (problems.length) {
        // no results file: a run that lost or doubled something is no measurement
        console.error(`\nNOTIFICATIONS BENCHMARK FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
        process.exitCode = 1;
        return;
      }
      say('  verified: every event made one notification, in the app, and one email, received once at its recipient’s address');
      const dir = process.env.BENCH_RESULTS_DIR ?? join(ROOT, 'scripts', 'bench', 'results');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `notifications-${database}${bus === 'redis' ? '-redis' : ''}${PACE ? `-${PACE}` : ''}.json`);
      const settings = {
        events: EVENTS,
        orders: orders.length,
        buyers: BUYERS,
        sellers: SELLERS,
        batch: BATCH,
        window: RATE ? null : WINDOW || null,
        ratePerSecond: RATE ?? null,
        emailConcurrency,
      };
      writeFileSync(file, `${JSON.stringify({ ...settings, database, bus, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
      say(`written to ${relative(ROOT, file)}`);
    } finally {
      clearInterval(report);
    }
  } finally {
    await stopTail?.();
    await stack.stop();
    await smtp.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
