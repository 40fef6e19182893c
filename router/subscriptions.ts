import type { Server } from 'node:http';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { buildOperationContext, executeQueryPlan } from '@apollo/gateway';
import { operationFromDocument, ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import { GraphQLError, parse, print, type DocumentNode, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { pushIterator } from '../lib/async-queue';
import { CONNECTION_REQUEST, signViewer, subscriptionRequest, type Viewer } from '../lib/auth/viewer';
import { formatErrorForClient } from '../lib/errors';
import { currentRequest, inRequest, type Logger, type RequestScope } from '../lib/logger';
import { requestScopeOf } from '../lib/server/access-log';
import { MAX_BODY_BYTES } from '../lib/server/http';
import type { TokenVerifier } from './auth';
import { DEFAULT_RECONNECT, type ReconnectPolicy } from './config';
import { EntityBatcher } from './entity-batcher';
import { validateWithLimits, type OperationLimits } from './limits';
import { SignedDataSource, type RouterContext } from './gateway';
import type { Operation, RequestGate } from './request-gate';

export interface SubscriptionOptions {
  supergraphSdl: string;
  /** Subgraph name → HTTP URL of its GraphQL endpoint; its WebSocket is the same URL. */
  subgraphUrls: Record<string, string>;
  routerSecret: string;
  tokens: TokenVerifier;
  logger: Logger;
  reconnect?: ReconnectPolicy;
  limits: OperationLimits;
  /** The checks HTTP requests pass, applied to each subscribe too. */
  gate: RequestGate;
  /** Told of every event result sent to a subscriber (for the metric). */
  onDelivered?: () => void;
}

/**
 * Federated subscriptions, which the stock gateway refuses to execute. The query planner plans them
 * as `Subscription { primary, rest }`: the router opens the primary fetch as a subscription to the
 * subgraph that owns the field (graphql-ws, signed like every subgraph request), and for each event
 * runs the rest of the plan, so that a subscriber may select fields of every subgraph.
 */
export interface Subscriptions {
  /** Runs a subscription operation: an event stream, or the errors that kept it from starting. */
  subscribe(args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> | ExecutionResult;
  /** The API schema subscriptions are validated against. */
  schema: GraphQLSchema;
  active(): number;
  stop(): Promise<void>;
}

export function serveSubscriptions(server: Server, options: SubscriptionOptions): Subscriptions {
  const supergraph = Supergraph.build(options.supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES });
  const apiSchema = supergraph.apiSchema();
  const apiGraphQLSchema = apiSchema.toGraphQLJSSchema();
  const supergraphGraphQLSchema = supergraph.schema.toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);
  const urlOf = (name: string) => {
    const url = options.subgraphUrls[name.toLowerCase()] ?? supergraph.subgraphsMetadata().find((s) => s.name === name)?.url;
    if (!url) throw new Error(`no URL for subgraph ${name}`);
    return url;
  };
  const dataSources = new Map<string, GraphQLDataSource<RouterContext>>();
  const dataSource = (name: string) => {
    let source = dataSources.get(name);
    if (!source) dataSources.set(name, (source = new EntityBatcher(new SignedDataSource(name, urlOf(name), options.routerSecret, undefined, options.logger))));
    return source;
  };
  const open = new Set<AsyncIterableIterator<ExecutionResult>>();
  // one multiplexed connection per subgraph: lazy, so it closes once its last subscription ends
  const upstreams = new Map<string, Client>();
  const upstreamOf = (name: string) => {
    let client = upstreams.get(name);
    if (!client) upstreams.set(name, (client = subgraphClient(urlOf(name), options.routerSecret, options.reconnect ?? DEFAULT_RECONNECT)));
    return client;
  };

  /** One upstream subscription and one execution of the rest of the plan per event. */
  const openSource = (args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> | ExecutionResult => {
    const context = args.contextValue as RouterContext;
    // over HTTP (multipart) the request's own scope; over WebSocket the connection's
    const scope = context.request ?? currentRequest();
    let plan: QueryPlan;
    try {
      plan = planner.buildQueryPlan(operationFromDocument(apiSchema, args.document, { operationName: args.operationName ?? undefined }));
    } catch (error) {
      return { errors: [new GraphQLError(`This subscription cannot be planned: ${(error as Error).message}`, { extensions: { code: 'BAD_USER_INPUT' } })] };
    }
    if (plan.node?.kind !== 'Subscription') {
      return { errors: [new GraphQLError('Only subscriptions run over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_USER_INPUT' } })] };
    }
    const { primary, rest } = plan.node;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const operationContext = buildOperationContext({ schema: apiGraphQLSchema, operationDocument: args.document, operationName: args.operationName ?? undefined });
    const requestContext = {
      request: { query: print(args.document), variables, operationName: args.operationName ?? undefined },
      document: args.document,
      operationName: args.operationName ?? null,
      context,
      logger: { debug: () => undefined, info: () => undefined, warn: (m: unknown) => options.logger.warn(String(m)), error: (m: unknown) => options.logger.error(String(m)) },
      metrics: {},
      cache: undefined,
      overallCachePolicy: undefined,
    } as unknown as Parameters<typeof executeQueryPlan>[2];
    const eventPlan: QueryPlan = {
      kind: 'QueryPlan',
      node: rest ? { kind: 'Sequence', nodes: [primary, ...(rest.kind === 'Sequence' ? rest.nodes : [rest as PlanNode])] } : primary,
    };

    const iterator = pushIterator<ExecutionResult>((push, end) => {
      const upstream = upstreamOf(primary.serviceName);
      let queue = Promise.resolve();
      const payload = {
        query: primary.operation,
        variables: pick(variables, primary.variableUsages),
        operationName: primary.operationName ?? undefined,
      };
      const dispose = upstream.subscribe<Record<string, unknown>, Record<string, unknown>>(
        {
          ...payload,
          // the subscriber, signed for this one subscription: one connection to the subgraph carries
          // every viewer's subscriptions. Signed when the message is sent: after a reconnect the
          // subscription is sent again, maybe long after it began, and a signature is only good for seconds.
          extensions: {
            get viewer() {
              return signViewer(context.viewer, options.routerSecret, subscriptionRequest(payload));
            },
          },
        },
        {
          next: (event: FormattedExecutionResult) => {
            // the rest of the plan runs at once, so that simultaneous events batch their fetches;
            // results go out in the order the subgraph sent the events
            const run = () =>
              runRest(eventPlan, primary, event, requestContext, operationContext).catch((error: unknown) => {
                options.logger.error('subscription event failed', { error });
                return { errors: [new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] };
              });
            const result = scope ? inRequest(scope, run) : run();
            queue = queue.then(async () => {
              push(await result);
              options.onDelivered?.();
            });
          },
          error: (error) => {
            // a connection that gave up reconnecting is done: the next subscription starts afresh
            if (!Array.isArray(error) && upstreams.get(primary.serviceName) === upstream) {
              upstreams.delete(primary.serviceName);
              void release(upstream);
            }
            queue = queue.then(() => {
              push({ errors: upstreamErrors(error) });
              end();
            });
          },
          complete: () => {
            queue = queue.then(() => end());
          },
        },
      );
      return () => dispose();
    });
    return iterator;
  };

  /**
   * Identical subscriptions (same document, variables and viewer) share one source: one upstream
   * subscription and one execution per event, whatever the number of subscribers. What they may see
   * is the same, since the viewer is part of what makes them identical.
   */
  const shared = new Map<string, { listeners: Set<(result: ExecutionResult) => void>; enders: Set<() => void>; source: AsyncIterableIterator<ExecutionResult> }>();
  const subscribe = (args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> | ExecutionResult => {
    const key = JSON.stringify([print(args.document), args.operationName ?? null, args.variableValues ?? {}, (args.contextValue as RouterContext).viewer]);
    let entry = shared.get(key);
    if (!entry) {
      const source = openSource(args);
      if (!(Symbol.asyncIterator in source)) return source;
      const created = { listeners: new Set<(result: ExecutionResult) => void>(), enders: new Set<() => void>(), source };
      shared.set(key, (entry = created));
      void (async () => {
        for await (const result of source) for (const listener of created.listeners) listener(result);
        if (shared.get(key) === created) shared.delete(key);
        for (const end of created.enders) end();
      })();
    }
    const current = entry;
    const iterator = pushIterator<ExecutionResult>((push, end) => {
      current.listeners.add(push);
      current.enders.add(end);
      return () => {
        current.listeners.delete(push);
        current.enders.delete(end);
        open.delete(iterator);
        // the last subscriber left: release the upstream subscription
        if (current.listeners.size === 0) {
          if (shared.get(key) === current) shared.delete(key);
          void current.source.return?.();
        }
      };
    });
    open.add(iterator);
    return iterator;
  };

  /** The rest of the plan, with the primary fetch answered by the event instead of a request. */
  const runRest = async (
    eventPlan: QueryPlan,
    primary: FetchNode,
    event: FormattedExecutionResult,
    requestContext: Parameters<typeof executeQueryPlan>[2],
    operationContext: Parameters<typeof executeQueryPlan>[3],
  ): Promise<ExecutionResult> => {
    if (event.errors?.length && !event.data) return { errors: event.errors.map((e) => new GraphQLError(e.message, { extensions: e.extensions })) };
    const services = new Proxy({} as Record<string, GraphQLDataSource<RouterContext>>, {
      get: (_target, name: string) =>
        name === primary.serviceName
          ? {
              process: (request: GraphQLDataSourceProcessOptions<RouterContext>) =>
                request.request.query === primary.operation ? Promise.resolve(event) : dataSource(name).process(request),
            }
          : dataSource(name),
    });
    const result = await executeQueryPlan(eventPlan, services, requestContext, operationContext, supergraphGraphQLSchema, apiSchema);
    return result.errors?.length ? { ...result, errors: result.errors.map(forClient) } : result;
  };

  // a message is one operation: as large as an HTTP body may be, not ws's default of 100 MiB
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: MAX_BODY_BYTES });
  const handle = useServer<Record<string, unknown>, { viewer?: Viewer | null; apiKey?: string; scope?: RequestScope }>(
    {
      schema: apiGraphQLSchema,
      // the token travels in connectionParams.authorization, as browsers cannot set WebSocket headers
      onConnect: async (ctx) => {
        // the upgrade request's `x-request-id` (or a fresh one) tags what this connection's subscriptions log
        ctx.extra.scope = requestScopeOf(ctx.extra.request);
        // a partner's key likewise, by the header's name: an unknown or revoked one is refused at once
        const apiKey = ctx.connectionParams?.['x-api-key'];
        if (apiKey !== undefined && (typeof apiKey !== 'string' || !(await options.gate.knows(apiKey)))) return false;
        ctx.extra.apiKey = apiKey;
        // spelled as HTTP spells it too, the way header-minded clients (GraphiQL's toolkit) send it
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        try {
          const session = await options.tokens.sessionOf(typeof authorization === 'string' ? authorization : undefined);
          ctx.extra.viewer = session?.viewer ?? null;
          if (session?.expiresAt !== undefined) {
            // the connection lives as long as its token: the client reconnects with a fresh one
            const timer = setTimeout(() => ctx.extra.socket.close(4401, 'Token expired'), Math.max(0, session.expiresAt - Date.now()));
            timer.unref();
            ctx.extra.socket.once('close', () => clearTimeout(timer));
          }
          return true;
        } catch {
          return false;
        }
      },
      // each subscribe passes the gate HTTP requests pass (rate limit, safelists), then the operation limits
      onSubscribe: async (ctx, _id, payload) => {
        const operation: Operation = { query: payload.query, extensions: payload.extensions ? { ...payload.extensions } : undefined };
        const caller = { apiKey: ctx.extra.apiKey, address: ctx.extra.request.socket.remoteAddress ?? 'unknown', viewer: ctx.extra.viewer ?? null };
        const decision = await options.gate.admitOperations(caller, [operation]);
        if (!decision.admitted) return decision.errors.map((error) => new GraphQLError(error.message, { extensions: error.extensions }));
        let document: DocumentNode;
        try {
          document = parse(String(operation.query), { maxTokens: options.limits.maxTokens });
        } catch (error) {
          return [badDocument(error instanceof GraphQLError ? error.message : 'The subscription does not parse')];
        }
        const errors = validateWithLimits(apiGraphQLSchema, document, options.limits);
        if (errors.length) return errors.map((error) => (error.extensions.code ? error : badDocument(error.message)));
        return { schema: apiGraphQLSchema, document, variableValues: payload.variables, operationName: payload.operationName };
      },
      context: (ctx): RouterContext => ({ viewer: ctx.extra.viewer ?? null, request: ctx.extra.scope }),
      subscribe,
      execute: () => ({ errors: [new GraphQLError('Only subscriptions run over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_USER_INPUT' } })] }),
    },
    wss,
  );

  return {
    subscribe,
    schema: apiGraphQLSchema,
    active: () => open.size,
    async stop() {
      for (const iterator of open) await iterator.return?.();
      await Promise.all([...upstreams.values()].map(release));
      await handle.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * One multiplexed graphql-ws connection to a subgraph. When the subgraph goes away (a restart, a
 * deploy) the client reconnects and sends every open subscription again; when it does not come back
 * within the policy, each subscription fails and the router ends its subscribers with an error.
 */
function subgraphClient(httpUrl: string, secret: string, reconnect: ReconnectPolicy): Client {
  // a connection whose peer vanished without closing it (a host lost, a network cut) would stay
  // silent forever: ping it, and cut it when nothing at all comes back in time
  let pongWait: NodeJS.Timeout | undefined;
  let ponged = false;
  const client: Client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    // the router itself, signed when the connection opens, so that a reconnect carries a fresh signature
    connectionParams: () => signViewer(null, secret, CONNECTION_REQUEST),
    lazy: true,
    retryAttempts: reconnect.attempts,
    // a refused connection (the subgraph is restarting) is worth retrying too, not only a closed one;
    // closes that no retry mends (bad auth, bad protocol) still end at once
    shouldRetry: () => true,
    retryWait: (retries) => {
      const delay = Math.min(10_000, reconnect.delayMs * 2 ** retries);
      return new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    },
    keepAlive: KEEP_ALIVE_MS,
    on: {
      ping: (received) => {
        if (received) return;
        ponged = false;
        // the timer runs before the loop reads sockets: a router busy past the timeout would cut a
        // live connection whose pong is waiting to be read (and reconnect every subscription on it)
        pongWait = setTimeout(() => setImmediate(() => ponged || client.terminate()), PONG_TIMEOUT_MS);
      },
      // any message proves the peer alive: a subgraph busy sending events may answer pings late
      message: () => {
        ponged = true;
        clearTimeout(pongWait);
      },
      closed: () => clearTimeout(pongWait),
    },
  });
  return client;
}

const KEEP_ALIVE_MS = 10_000;
const PONG_TIMEOUT_MS = 20_000;

/** Closes a connection; one caught between two reconnect attempts rejects with why it stopped, which is no news here. */
async function release(client: Client): Promise<void> {
  await Promise.resolve(client.dispose()).catch(() => undefined);
}

const badDocument = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

function pick(variables: Record<string, unknown>, names: readonly string[] | undefined): Record<string, unknown> {
  return Object.fromEntries((names ?? []).filter((name) => name in variables).map((name) => [name, variables[name]]));
}

/** An error of a subscription event as clients may see it; the plan's executor yields both errors and their formatted form. */
function forClient(error: GraphQLError | GraphQLFormattedError): GraphQLError {
  const shaped = formatErrorForClient(error instanceof GraphQLError ? error.toJSON() : error);
  return new GraphQLError(shaped.message, { extensions: shaped.extensions, path: shaped.path });
}

function upstreamErrors(error: unknown): GraphQLError[] {
  if (Array.isArray(error)) {
    return error.map((e: { message?: string; extensions?: Record<string, unknown> }) => {
      const shaped = formatErrorForClient({ message: e.message ?? 'Subscription failed', extensions: e.extensions });
      return new GraphQLError(shaped.message, { extensions: shaped.extensions });
    });
  }
  // the connection closed and could not be opened again
  return [new GraphQLError('The subscription ended: the service behind it is unavailable; subscribe again later', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
}
