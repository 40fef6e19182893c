import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { CONNECTION_REQUEST, subscriptionRequest, verifySignedViewer, type Viewer } from '../auth/viewer';
import { formatErrorForClient } from '../errors';
import type { Logger } from '../logger';
import { operationSpanName } from '../telemetry/operation-span';
import { installPropagation, tracerFor } from '../telemetry/tracing';
import { observeRequest, operationNames } from './access-log';
import { operationMetrics } from './metrics';
import { metricsRoute } from './metrics-route';
import { bodyOf, handleGraphQLRequest, HttpError, readBody, sendGraphQLError, sendJson } from './http';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** What a subgraph module builds from its dependencies; serving it is the same for every subgraph. */
export interface SubgraphApp<TContext extends BaseContext> {
  name: string;
  schema: GraphQLSchema;
  /** A fresh context per request: the viewer and per-request DataLoaders. */
  context(viewer: Viewer | null): TContext;
  /** Plain HTTP routes besides /graphql, /health and /ready (for instance a JWKS document). */
  routes?: Record<string, RouteHandler>;
  /** Starts what runs beside requests (event consumers, sweepers); returns how to stop it. */
  background?(): Promise<() => Promise<void>>;
}

export interface ServeOptions {
  port: number;
  host?: string;
  /** The secret the router signs viewers with; requests without a valid signature are refused. */
  routerSecret: string;
  db: DataSource;
  logger: Logger;
  /** Served at /metrics in Prometheus's text format. */
  metrics: Registry;
}

export interface RunningSubgraph {
  name: string;
  url: string;
  server: Server;
  /** Subscriptions open on this subgraph now (the router multiplexes them over its connections). */
  activeSubscriptions(): number;
  stop(): Promise<void>;
}

export async function serveSubgraph<TContext extends BaseContext>(
  app: SubgraphApp<TContext>,
  options: ServeOptions,
): Promise<RunningSubgraph> {
  const log = options.logger;
  const apollo = new ApolloServer<TContext>({
    schema: app.schema,
    // The process owns shutdown (lib/server/shutdown.ts): Apollo's own signal handlers would race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    // Traces are for Apollo's hosted studio, which this stack does not report to. No schema carries
    // cache hints, and the cache-control plugin would wrap every field's resolver to look for them.
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), operationMetrics<TContext>(options.metrics), operationSpanName<TContext>()],
    formatError(formatted, error) {
      const shaped = formatErrorForClient(formatted);
      if (shaped.extensions?.code === 'INTERNAL_SERVER_ERROR') {
        log.error('unexpected error', { error: unwrapResolverError(error), path: formatted.path });
      }
      return shaped;
    },
  });
  await apollo.start();

  const routes: Record<string, RouteHandler> = {
    '/health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    '/ready': async (_req, res) => {
      try {
        await options.db.query('SELECT 1');
        sendJson(res, 200, { status: 'ready' });
      } catch {
        sendJson(res, 503, { status: 'database unreachable' });
      }
    },
    '/metrics': metricsRoute(options.metrics),
    ...app.routes,
  };

  installPropagation();
  const tracer = tracerFor(app.name);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let body: unknown;
    const handle = async () => {
      const route = routes[path];
      if (route) return route(req, res);
      if (path !== '/graphql' && path !== '/') return sendJson(res, 404, { error: 'not found' });
      // the signature covers the request's exact bytes: the body of a POST, the query string of a GET
      const raw = await readBody(req);
      const search = new URL(req.url ?? '/', 'http://localhost').search;
      const signed = verifySignedViewer(req.headers, options.routerSecret, req.method === 'POST' ? raw : search);
      if (!signed.ok) return sendGraphQLError(res, 401, 'UNAUTHENTICATED', `Refused: ${signed.reason}`);
      body = bodyOf(raw, req);
      await handleGraphQLRequest(apollo, req, res, async () => app.context(signed.viewer), body);
    };
    // the router's request id and trace go on every line logged for this request
    const graphql = path === '/graphql' || path === '/';
    observeRequest(req, res, { tracer, logger: log, graphql, operation: () => operationNames(body) }, handle).catch((error: unknown) => {
      if (error instanceof HttpError) return sendGraphQLError(res, error.status, 'BAD_USER_INPUT', error.message);
      log.error('request failed', { error });
      if (!res.headersSent) sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;

  const subscriptions = app.schema.getSubscriptionType() ? serveSubscriptions(app, server, options.routerSecret, log) : undefined;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}/graphql`;
  log.info('subgraph listening', { url });

  return {
    name: app.name,
    url,
    server,
    activeSubscriptions: () => subscriptions?.active() ?? 0,
    async stop() {
      await subscriptions?.stop();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await apollo.stop();
    },
  };
}

/**
 * Subscriptions over graphql-ws on the same port and path. The router opens one connection, signed
 * as itself, and multiplexes its subscribers over it: each subscription carries its own viewer,
 * signed, in the message's `extensions.viewer`. Unsigned connections and subscriptions are refused.
 */
function serveSubscriptions<TContext extends BaseContext>(
  app: SubgraphApp<TContext>,
  server: Server,
  secret: string,
  log: Logger,
): { active(): number; stop(): Promise<void> } {
  const wss = new WebSocketServer({ server, path: '/graphql' });
  // a subscription counts once its source is open (its id is there, empty, while it starts)
  const connections = new Set<{ subscriptions: Record<string, unknown> }>();
  const verify = (signed: unknown, request: string) => verifySignedViewer((signed ?? {}) as Record<string, string | undefined>, secret, request);
  const viewerOf = (payload: SubscribePayload) => verify(payload.extensions?.viewer, subscriptionRequest(payload));
  const handle = useServer<Record<string, unknown>>(
    {
      schema: app.schema,
      onConnect: (ctx) => {
        const ok = verify(ctx.connectionParams, CONNECTION_REQUEST).ok;
        if (ok) connections.add(ctx);
        return ok;
      },
      onClose: (ctx) => void connections.delete(ctx),
      onSubscribe: (_ctx, _id, payload) => {
        const signed = viewerOf(payload);
        if (!signed.ok) return [new GraphQLError(`Refused: ${signed.reason}`, { extensions: { code: 'UNAUTHENTICATED' } })];
      },
      context: (_ctx, _id, payload) => {
        const signed = viewerOf(payload);
        return app.context(signed.ok ? signed.viewer : null);
      },
      onError: (_ctx, _id, _payload, errors) => {
        const shaped = errors.map((error) => formatErrorForClient(error.toJSON()));
        for (const error of shaped) if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') log.error('subscription failed', { errors });
        return shaped.map((e) => new GraphQLError(e.message, { extensions: e.extensions }));
      },
    },
    wss,
  );
  return {
    active: () => [...connections].reduce((sum, ctx) => sum + Object.values(ctx.subscriptions).filter(Boolean).length, 0),
    async stop() {
      await handle.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
