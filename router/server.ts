import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { signViewer } from '../lib/auth/viewer';
import { formatErrorForClient } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { observeRequest, operationNames } from '../lib/server/access-log';
import { endClientAddress } from '../lib/server/client-address';
import { operationSpanName } from '../lib/telemetry/operation-span';
import { installPropagation, lendGlobalTracer, tracerFor } from '../lib/telemetry/tracing';
import { handleGraphQLRequest, HttpError, parseBody, sendGraphQLError, sendJson } from '../lib/server/http';
import { TokenVerifier } from './auth';
import { RedisApqCache } from './apq-cache';
import { DEFAULT_QUOTAS, FIRST_PARTY_MANIFEST, type RouterConfig } from './config';
import { createGateway, executionMetrics, sharedReadMetrics, subgraphFetchMetrics, type RouterContext } from './gateway';
import { Counter, Gauge, Registry } from 'prom-client';
import { operationMetrics, processMetrics } from '../lib/server/metrics';
import { metricsRoute } from '../lib/server/metrics-route';
import { DEFAULT_LIMITS, limitRules } from './limits';
import { streamMultipart, subscriptionOf, wantsMultipartSubscription } from './multipart';
import { parseManifest } from './partners/manifest';
import { FilePartnerStore, RedisPartnerStore } from './partners/store';
import { servePlayground } from './playground/serve';
import { MemoryRateLimiter, RedisRateLimiter } from './rate-limit';
import { closeRedis, stateRedis } from '../lib/redis';
import { RequestGate } from './request-gate';
import { serveSubscriptions } from './subscriptions';
import { subgraphPages } from './subgraph-pages';
import { loadSupergraph } from './supergraph';

export interface RunningRouter {
  url: string;
  server: Server;
  /** Subscriptions open through this router now. */
  activeSubscriptions(): number;
  stop(): Promise<void>;
}

export async function startRouter(config: RouterConfig, logger: Logger): Promise<RunningRouter> {
  const supergraph = loadSupergraph(config.supergraphPath, config.subgraphUrls);
  const subgraphs = supergraph.subgraphs;
  const metrics = new Registry();
  metrics.setDefaultLabels({ service: 'router' });
  processMetrics(metrics);
  const serveMetrics = metricsRoute(metrics);
  const fetches = subgraphFetchMetrics(metrics);
  const executions = executionMetrics(metrics);
  const gateway = createGateway({
    supergraph,
    routerSecret: config.routerSecret,
    logger,
    subgraphTimeoutMs: config.subgraphTimeoutMs,
    fetches,
    executor: config.executor,
    executions,
    shareReads: config.shareReads,
    sharedReads: sharedReadMetrics(metrics),
  });
  const tokens = new TokenVerifier(config.tokenSources);
  if (config.tokenSources.length === 0) logger.warn('no token issuer configured (JWT_JWKS_URL): every token will be refused');
  const limits = config.limits ?? DEFAULT_LIMITS;
  // the end client, as the audit log records it: the socket's peer, or the word of a proxy the router sits behind
  const clientAddress = (req: IncomingMessage) => endClientAddress(req, config.trustProxy ?? false);
  const prefix = config.redisPrefix ?? 'marketplace';
  const redis = config.redisUrl ? stateRedis(config.redisUrl) : undefined;
  const apqCache = redis && new RedisApqCache(redis, prefix);
  const partners = redis ? new RedisPartnerStore(redis, prefix) : new FilePartnerStore(config.partnersFile ?? '.data/partners.json');
  const limiter = redis ? new RedisRateLimiter(redis, prefix) : new MemoryRateLimiter();
  const firstPartyPath = config.firstPartyManifestPath ?? FIRST_PARTY_MANIFEST;
  const gate = new RequestGate({
    partners,
    limiter,
    quotas: config.quotas ?? DEFAULT_QUOTAS,
    firstParty: firstPartyPath && existsSync(firstPartyPath) ? parseManifest(JSON.parse(readFileSync(firstPartyPath, 'utf8'))) : undefined,
    requireIds: config.requirePersistedQueries ?? false,
    maxBatch: limits.maxBatch,
    logger,
  });

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    introspection: config.introspection,
    // Automatic persisted queries: in Redis when configured, so that every router knows every hash
    persistedQueries: { cache: apqCache, ttl: 24 * 60 * 60 },
    allowBatchedHttpRequests: true,
    csrfPrevention: true,
    // refused while validating: before any plan is made or any subgraph is called
    validationRules: limitRules(limits),
    parseOptions: { maxTokens: limits.maxTokens },
    // The process owns shutdown (lib/server/shutdown.ts): Apollo's own signal handlers would race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginLandingPageDisabled(), refuseUnknownOperationName, operationMetrics<RouterContext>(metrics), operationSpanName<RouterContext>()],
    formatError(formatted, error) {
      const shaped = formatErrorForClient(requestErrorAsClientMistake(formatted, error));
      if (shaped.extensions?.code === 'INTERNAL_SERVER_ERROR') {
        logger.error('unexpected error', { error: unwrapResolverError(error), path: formatted.path, original: formatted.message });
      }
      return shaped;
    },
  });
  await apollo.start();

  const ready = readiness(subgraphs, config.routerSecret);
  const servePage = subgraphPages(subgraphs, logger);
  const delivered = new Counter({ name: 'subscription_events_delivered_total', help: 'Subscription events sent to subscribers by this router', registers: [metrics] });
  installPropagation();
  // the gateway's own planning and execution spans are the router's
  lendGlobalTracer('router');
  const tracer = tracerFor('router');
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let body: unknown;
    const handle = async () => {
      if (path === '/health') return sendJson(res, 200, { status: 'ok' });
      if (path === '/metrics') return serveMetrics(req, res);
      if (path === '/ready') {
        const down = await ready();
        return sendJson(res, down.length ? 503 : 200, down.length ? { status: 'unavailable', down } : { status: 'ready' });
      }
      if (config.playground && servePlayground(req, res, path)) return;
      if (await servePage(req, res, path)) return;
      if (path !== '/graphql') return sendJson(res, 404, { error: 'not found' });
      // verified once: a bad token is Apollo's to refuse (in context); the gate only picks a rate bucket by it
      const verified = tokens.viewerOf(req.headers.authorization);
      verified.catch(() => undefined);
      const context = async () => ({ viewer: await verified });
      body = await parseBody(req);
      const viewer = await verified.catch(() => null);
      const admission = await gate.admit(req, { body, search: new URL(req.url ?? '/', 'http://localhost').search }, viewer);
      if (!admission.admitted) return sendJson(res, admission.status, { errors: admission.errors }, admission.headers);
      if (wantsMultipartSubscription(req)) {
        const subscription = subscriptionOf(admission.body, subscriptions.schema, limits);
        if (subscription) {
          const source = subscriptions.subscribe({
            schema: subscriptions.schema,
            document: subscription.document,
            variableValues: subscription.variables,
            operationName: subscription.operationName,
            contextValue: await context(),
          });
          return streamMultipart(res, source);
        }
      }
      await handleGraphQLRequest(apollo, req, res, context, admission.body, admission.search);
    };
    // every line logged for this request carries its id; /graphql requests get an access line and a span
    observeRequest(req, res, { tracer, logger, graphql: path === '/graphql', operation: () => operationNames(body), clientAddress }, handle).catch((error: unknown) => {
      if (error instanceof HttpError) return sendGraphQLError(res, error.status, 'BAD_USER_INPUT', error.message);
      logger.error('request failed', { error });
      if (!res.headersSent) sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  const subscriptions = serveSubscriptions(server, {
    supergraph,
    routerSecret: config.routerSecret,
    tokens,
    logger,
    reconnect: config.subscriptionReconnect,
    limits,
    gate,
    onDelivered: () => delivered.inc(),
    onExecuted: (executor) => executions.inc({ executor }),
    fetches,
    clientAddress,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  new Gauge({
    name: 'subscriptions_open',
    help: 'Subscriptions open through this router',
    registers: [metrics],
    collect() {
      this.set(subscriptions.active());
    },
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}/graphql`;
  logger.info('router listening', { url, subgraphs });

  return {
    url,
    server,
    activeSubscriptions: () => subscriptions.active(),
    async stop() {
      await subscriptions.stop();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await apollo.stop();
      if (redis) await closeRedis(redis);
    },
  };
}

/**
 * A document without the operation the request names would reach the gateway, which fails it as an
 * internal error; it is the client's mistake, and is refused as one before anything is planned.
 */
const refuseUnknownOperationName: ApolloServerPlugin<RouterContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (operation) return;
        throw new GraphQLError(
          request.operationName ? `Unknown operation named "${request.operationName}"` : 'The document holds several operations: name one with operationName',
          { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } },
        );
      },
    };
  },
};

/**
 * Apollo Server refuses some requests (a persisted query whose hash does not match its body, a
 * malformed batch) with an HTTP 4xx status and no code: the client's mistake, said as one.
 */
function requestErrorAsClientMistake(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  // Apollo fills in INTERNAL_SERVER_ERROR for errors of no code: the original tells them apart
  const original = (error as { extensions?: { code?: unknown; http?: { status?: number } } } | undefined)?.extensions;
  const status = original?.http?.status;
  if (original?.code === undefined && status !== undefined && status >= 400 && status < 500) {
    return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT' } };
  }
  return formatted;
}

/**
 * Ready when every subgraph answers a signed `{ __typename }`: the same path real traffic takes,
 * and it works for any supergraph, not only subgraphs that expose a health route.
 */
function readiness(subgraphs: { name: string; url: string }[], secret: string): () => Promise<string[]> {
  return async () => {
    const results = await Promise.all(
      subgraphs.map(async ({ name, url }) => {
        try {
          const body = JSON.stringify({ query: '{ __typename }' });
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...signViewer(null, secret, body) },
            body,
            signal: AbortSignal.timeout(2000),
          });
          return response.ok ? undefined : name;
        } catch {
          return name;
        }
      }),
    );
    return results.filter((name): name is string => name !== undefined);
  };
}
