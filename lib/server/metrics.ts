import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { EventBus } from '../events/types';

/**
 * The metrics every service exposes the same way (prom-client, served at /metrics): GraphQL
 * operations by name and outcome with their latency, the process's own, the database pool, and the
 * outbox. Domain counters (checkouts, payments, search) are registered by the subgraphs themselves.
 */

/** Latency buckets (seconds) from a cache hit to a slow checkout. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Operation names come from clients: past this many distinct ones, the rest are counted as `other`,
 * so that a client inventing names cannot grow the series without bound.
 */
const MAX_OPERATION_NAMES = 200;

export type Outcome = 'ok' | 'client_error' | 'server_error';

/** Node's own process metrics (CPU, memory, event loop lag, GC), once per registry. */
export function processMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
}

/** Requests by operation name and outcome, and their duration, counted as Apollo Server sees them. */
export function operationMetrics<TContext extends BaseContext>(registry: Registry): ApolloServerPlugin<TContext> {
  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations by name and outcome (ok, client_error, server_error)',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Time from a GraphQL operation arriving to its response, by operation name',
    labelNames: ['operation'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const known = new Set<string>();
  const nameOf = (name: string | null | undefined) => {
    const given = name || 'anonymous';
    if (known.has(given)) return given;
    if (known.size >= MAX_OPERATION_NAMES) return 'other';
    known.add(given);
    return given;
  };
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, response }) {
          // the errors as the client gets them: formatted, with the codes of the fixed set
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = errors.map((error) => error.extensions?.code);
          const outcome: Outcome = codes.length === 0 ? 'ok' : codes.some((code) => code === 'INTERNAL_SERVER_ERROR' || code === 'SERVICE_UNAVAILABLE') ? 'server_error' : 'client_error';
          const operation = nameOf(operationName);
          operations.inc({ operation, outcome });
          duration.observe({ operation }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}

/** The database pool: connections open, idle, and requests waiting for one. */
export function databasePoolMetrics(registry: Registry, db: DataSource): void {
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting requests)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      // TypeORM's PostgreSQL driver keeps its pg Pool as `master`
      const pool = (db.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }).master;
      if (!pool) return;
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
}

/** Events written but not yet published: how many, and how long the oldest has waited (one query a scrape). */
export function outboxMetrics(registry: Registry, db: DataSource): void {
  let oldest = 0;
  new Gauge({
    name: 'events_outbox_unpublished',
    help: 'Events recorded in the outbox and not yet published to the bus',
    registers: [registry],
    async collect() {
      const [row]: { n: string | number; oldest: number | null }[] = await db.query(
        `SELECT count(*) AS n, extract(epoch FROM now() - min(occurred_at))::float8 AS oldest FROM outbox WHERE published_at IS NULL`,
      );
      this.set(Number(row.n));
      oldest = row.oldest ?? 0;
    },
  });
  // collected after the count above (a registry collects in the order metrics were made)
  new Gauge({
    name: 'events_outbox_oldest_seconds',
    help: 'Age of the oldest event not yet published from the outbox',
    registers: [registry],
    collect() {
      this.set(oldest);
    },
  });
}

/** Events this subgraph's consumer group has yet to handle: how far it lags behind the bus. */
export function consumerBacklogMetrics(registry: Registry, bus: EventBus, group: string): void {
  new Gauge({
    name: 'events_consumer_backlog',
    help: 'Events published and not yet handled by this subgraph (not yet delivered, or delivered and not acknowledged)',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      this.set({ consumer: group }, await bus.backlog(group));
    },
  });
}
