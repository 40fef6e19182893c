import { randomBytes } from 'node:crypto';
import { isBackground } from '../background';
import { signViewer, type Viewer } from '../auth/viewer';
import { GraphQLClient, type GraphQLResponse } from '../client/graphql-client';
import { dropDatabase } from '../db/data-source';
import { InProcessBus } from '../events/in-process-bus';
import { createLogger, type Logger } from '../logger';
import type { Env, SubgraphModule } from '../server/subgraph-module';
import { startSubgraph, type StartedSubgraph } from '../server/start-subgraph';

/** A database name of its own on DATABASE_URL's server when set, else undefined (in-memory PGlite). */
export function freshDatabaseUrl(): string | undefined {
  const server = process.env.DATABASE_URL;
  if (!server) return undefined;
  const url = new URL(server);
  url.pathname = `/t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  return url.toString();
}

/**
 * One subgraph alone, on a fresh database (dropped at stop) and an in-process bus the test publishes
 * the other subgraphs' events into, called over HTTP with viewers signed as the router signs them.
 */
export interface LoneSubgraph {
  subgraph: StartedSubgraph;
  bus: InProcessBus;
  logger: Logger;
  /** What the router would sign its requests with, for tests that send their own. */
  secret: string;
  /** Executes a document as `viewer` (null: anonymous). */
  call<T = Record<string, unknown>>(viewer: Viewer | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** The SQL statements `run` causes (for N+1 checks). */
  statements(run: () => Promise<unknown>): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startLoneSubgraph(
  module: SubgraphModule,
  { env = process.env, retryDelaysMs }: { env?: Env; retryDelaysMs?: number[] } = {},
): Promise<LoneSubgraph> {
  const secret = randomBytes(32).toString('base64url');
  const databaseUrl = freshDatabaseUrl();
  const logger = createLogger();
  const bus = new InProcessBus(logger, retryDelaysMs);
  let recording: string[] | undefined;
  // no router in front: links the subgraph hands out point at the subgraph itself
  let origin = 'http://unstarted.invalid';
  const subgraph = await startSubgraph(module, {
    databaseUrl,
    ephemeral: true,
    routerSecret: secret,
    logger,
    bus,
    peerUrl: () => '',
    // tests sharing a Redis keep their cached keys apart
    env: { ...env, REDIS_PREFIX: `test-${randomBytes(6).toString('hex')}` },
    // the outbox relay and periodic jobs run on timers, not for the work measured
    onQuery: (sql) => (isBackground() ? undefined : recording?.push(sql)),
    publicUrl: () => origin,
  });
  origin = new URL(subgraph.url).origin;
  const client = new GraphQLClient(subgraph.url);
  return {
    subgraph,
    bus,
    logger,
    secret,
    call: (viewer, query, variables = {}) => client.query(query, variables, (body) => signViewer(viewer, secret, body)),
    async statements(run) {
      const seen: string[] = [];
      recording = seen;
      try {
        await run();
      } finally {
        recording = undefined;
      }
      return seen;
    },
    async stop() {
      await subgraph.stop();
      await bus.close();
      if (databaseUrl) await dropDatabase(databaseUrl);
    },
  };
}
