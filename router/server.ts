import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { signViewer } from '../lib/auth/viewer';
import { formatErrorForClient } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { handleGraphQLRequest, HttpError, parseBody, sendGraphQLError, sendJson } from '../lib/server/http';
import { TokenVerifier } from './auth';
import type { RouterConfig } from './config';
import { createGateway, type RouterContext } from './gateway';
import { streamMultipart, subscriptionOf, wantsMultipartSubscription } from './multipart';
import { serveSubscriptions } from './subscriptions';

export interface RunningRouter {
  url: string;
  server: Server;
  /** Subscriptions open through this router now. */
  activeSubscriptions(): number;
  stop(): Promise<void>;
}

export async function startRouter(config: RouterConfig, logger: Logger): Promise<RunningRouter> {
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  // Parsing with the router's feature set validates the file before the gateway sees it.
  const metadata = Supergraph.build(supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES }).subgraphsMetadata();
  const subgraphs = metadata.map(({ name, url }) => ({
    name,
    url: config.subgraphUrls[name.toLowerCase()] ?? url,
  }));
  const gateway = createGateway({ supergraphSdl, subgraphUrls: config.subgraphUrls, routerSecret: config.routerSecret, logger });
  const tokens = new TokenVerifier(config.tokenSources);
  if (config.tokenSources.length === 0) logger.warn('no token issuer configured (JWT_JWKS_URL): every token will be refused');

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    introspection: config.introspection,
    // The process owns shutdown (lib/server/shutdown.ts): Apollo's own signal handlers would race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginLandingPageDisabled()],
    formatError(formatted, error) {
      const shaped = formatErrorForClient(formatted);
      if (shaped.extensions?.code === 'INTERNAL_SERVER_ERROR') {
        logger.error('unexpected error', { error: unwrapResolverError(error), path: formatted.path, original: formatted.message });
      }
      return shaped;
    },
  });
  await apollo.start();

  const ready = readiness(subgraphs, config.routerSecret);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handle = async () => {
      if (path === '/health') return sendJson(res, 200, { status: 'ok' });
      if (path === '/ready') {
        const down = await ready();
        return sendJson(res, down.length ? 503 : 200, down.length ? { status: 'unavailable', down } : { status: 'ready' });
      }
      if (path !== '/graphql') return sendJson(res, 404, { error: 'not found' });
      const context = async () => ({ viewer: await tokens.viewerOf(req.headers.authorization) });
      if (wantsMultipartSubscription(req)) {
        const body = await parseBody(req);
        const subscription = subscriptionOf(body, subscriptions.schema);
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
        return handleGraphQLRequest(apollo, req, res, context, body);
      }
      await handleGraphQLRequest(apollo, req, res, context);
    };
    handle().catch((error: unknown) => {
      if (error instanceof HttpError) return sendGraphQLError(res, error.status, 'BAD_USER_INPUT', error.message);
      logger.error('request failed', { error });
      if (!res.headersSent) sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  const subscriptions = serveSubscriptions(server, {
    supergraphSdl,
    subgraphUrls: Object.fromEntries(subgraphs.map(({ name, url }) => [name.toLowerCase(), url])),
    routerSecret: config.routerSecret,
    tokens,
    logger,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
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
    },
  };
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
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...signViewer(null, secret) },
            body: JSON.stringify({ query: '{ __typename }' }),
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
