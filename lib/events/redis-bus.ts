import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import Redis from 'ioredis';
import type { Logger } from '../logger';
import type { EventBus, EventEnvelope, EventHandler } from './types';

/** Keeps the stream bounded; consumers are expected to keep up far within this many events. */
const MAX_LENGTH = 1_000_000;

/** How long blocking reads wait for new entries. */
const BLOCK_MS = 1000;

/**
 * While Redis is away, commands queue until it is back; without a deadline a publish, a read or a
 * quit would wait forever, and so would whoever awaits them (a shutdown). With one, the outbox and
 * the read loops fail, retry, and stop when asked.
 */
const CONNECTION_OPTIONS = { maxRetriesPerRequest: null, commandTimeout: 5 * BLOCK_MS } as const;

/**
 * Durable events between processes: Redis Streams with one consumer group per consuming subgraph,
 * so each event reaches one instance of each subgraph, at least once.
 */
export class RedisStreamsBus implements EventBus {
  private readonly writer: Redis;
  private readonly readers = new Set<Redis>();
  private readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly stream: string;
  private readonly claimIdleMs: number;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    {
      /** Keeps several marketplaces (or test runs) on one Redis apart. */
      prefix = 'marketplace',
      /** An event a member took but did not acknowledge for this long is taken over (by itself or another member). */
      claimIdleMs = 10_000,
    }: { prefix?: string; claimIdleMs?: number } = {},
  ) {
    this.stream = `${prefix}:events`;
    this.claimIdleMs = claimIdleMs;
    this.writer = new Redis(url, CONNECTION_OPTIONS);
  }

  async publish(events: EventEnvelope[]): Promise<void> {
    if (events.length === 0) return;
    const pipeline = this.writer.pipeline();
    for (const event of events) pipeline.xadd(this.stream, 'MAXLEN', '~', MAX_LENGTH, '*', 'e', JSON.stringify(event));
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async subscribe(group: string, handler: EventHandler): Promise<() => Promise<void>> {
    try {
      // From the start of the stream: a consumer that joins late still sees what happened before.
      await this.writer.xgroup('CREATE', this.stream, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
    let lastClaim = 0;
    return this.readLoop(`group ${group}`, async (reader) => {
      if (Date.now() - lastClaim > this.claimIdleMs) {
        lastClaim = Date.now();
        const [, claimed] = (await reader.xautoclaim(this.stream, group, this.consumer, this.claimIdleMs, '0', 'COUNT', 100)) as [
          string,
          [string, string[]][],
        ];
        await this.handle(reader, group, claimed, handler);
      }
      const batch = (await reader.xreadgroup('GROUP', group, this.consumer, 'COUNT', 100, 'BLOCK', BLOCK_MS, 'STREAMS', this.stream, '>')) as
        | [string, [string, string[]][]][]
        | null;
      if (batch) await this.handle(reader, group, batch[0][1], handler);
    });
  }

  async backlog(group: string): Promise<number> {
    // XINFO GROUPS: per group, `lag` (entries not yet delivered; Redis 7) and `pending` (delivered, not acknowledged)
    const groups = (await this.writer.xinfo('GROUPS', this.stream).catch(() => [])) as unknown[][];
    for (const fields of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]);
      if (info.get('name') === group) return Number(info.get('lag') ?? 0) + Number(info.get('pending') ?? 0);
    }
    return 0;
  }

  /** Deletes the stream and its groups: for tests that used a prefix of their own. */
  async destroy(): Promise<void> {
    await this.writer.del(this.stream);
    await this.close();
  }

  async tail(handler: EventHandler): Promise<() => Promise<void>> {
    // XREAD without a group: every tailing process reads every entry, from the moment it starts;
    // from the newest entry now, since '$' itself would skip whatever arrives between two blocking reads
    const newest = (await this.writer.xrevrange(this.stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
    let lastId = newest[0]?.[0] ?? '0-0';
    return this.readLoop('tail', async (reader) => {
      const batch = (await reader.xread('COUNT', 100, 'BLOCK', BLOCK_MS, 'STREAMS', this.stream, lastId)) as [string, [string, string[]][]][] | null;
      for (const [id, fields] of batch?.[0][1] ?? []) {
        lastId = id;
        await handler(JSON.parse(fields[fields.indexOf('e') + 1]) as EventEnvelope).catch((error: unknown) =>
          this.logger.warn('live event handler failed', { id, error }),
        );
      }
    });
  }

  /**
   * Repeats a blocking read on a connection of its own (a blocked connection serves nothing else)
   * until stopped, riding out Redis restarts; returns the function that stops it.
   */
  private readLoop(what: string, readOnce: (reader: Redis) => Promise<void>): () => Promise<void> {
    const reader = new Redis(this.url, CONNECTION_OPTIONS);
    this.readers.add(reader);
    let running = true;
    const loop = (async () => {
      while (running && !this.stopped) {
        try {
          await readOnce(reader);
        } catch (error) {
          if (!running || this.stopped) break;
          this.logger.warn('reading events failed; retrying', { what, error });
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    })();
    return async () => {
      running = false;
      reader.disconnect();
      this.readers.delete(reader);
      await loop;
    };
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const reader of this.readers) reader.disconnect();
    this.readers.clear();
    // quit sends what is queued first; if Redis is away it times out, and the connection is dropped
    await this.writer.quit().catch(() => this.writer.disconnect());
  }

  private async handle(reader: Redis, group: string, entries: [string, string[]][], handler: EventHandler) {
    for (const [id, fields] of entries) {
      const raw = fields[fields.indexOf('e') + 1];
      try {
        await handler(JSON.parse(raw) as EventEnvelope);
        await reader.xack(this.stream, group, id);
      } catch (error) {
        // left pending: another attempt comes when it is claimed after claimIdleMs
        this.logger.warn('event handler failed; will retry', { group, id, error });
      }
    }
  }
}
