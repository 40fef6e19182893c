import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { executeQueryPlan } from '@apollo/gateway';
import type { FetchNode } from '@apollo/query-planner';
import {
  GraphQLError,
  print,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import type { Fetcher } from '@apollo/utils.fetcher';
import { pushIterator } from '../../lib/async-queue';
import { signViewer, subscriptionRequest } from '../../lib/auth/viewer';
import { formatErrorForClient } from '../../lib/errors';
import { currentRequest, inRequest, type Logger } from '../../lib/logger';
import { runOperation } from '../execution/operation-runner';
import { publicFetches } from '../execution/public-fetches';
import { CannotShape } from '../execution/shape';
import { EventFetches } from './event-fetches';
import { eventPlans, type EventPlan } from './event-plan';
import { scopeOf, SharedEventResults } from './event-results';
import type { RouterContext } from '../gateway';
import type { LoadedSupergraph } from '../supergraph';
import { upstreamErrors, type Upstreams } from './upstream';

export interface EventSourceOptions {
  supergraph: LoadedSupergraph;
  upstreams: Upstreams;
  routerSecret: string;
  logger: Logger;
  /** Told of every event result sent to a subscriber (for the metric). */
  onDelivered?: () => void;
  /** The router's client to one subgraph (signing, tracing, timing), for the events' fetches. */
  senderOf(subgraph: string): Fetcher;
  /** Told which executor answered each event. */
  onExecuted?: (executor: 'lean' | 'gateway') => void;
}

type StockPlan = Extract<EventPlan, { stock: unknown }>['stock'];
type StockContext = Parameters<typeof executeQueryPlan>[2];

export type OpenSource = (args: ExecutionArgs) => AsyncIterableIterator<ExecutionResult> | ExecutionResult;

/**
 * The query planner plans a subscription as `Subscription { primary, rest }`: the primary fetch is
 * opened as a subscription to the subgraph that owns the field (signed like every subgraph request),
 * and each event runs the rest of the plan, so that a subscriber may select fields of every subgraph.
 * Events run on the router's own executor, as queries and mutations do (execution/operation-runner.ts):
 * the event is the primary fetch's answer, the rest of the plan is fetched under it with simultaneous
 * events' fetches merged (event-fetches.ts), errors located and nulls propagated as the gateway does.
 * Only a plan that executor does not run (event-plan.ts) goes to @apollo/gateway's executeQueryPlan.
 */
export function eventSources(options: EventSourceOptions): OpenSource {
  const { apiSchema, supergraphGraphQLSchema, urlOf } = options.supergraph;
  const isPublic = publicFetches(supergraphGraphQLSchema);
  const fetches = new EventFetches({
    senderOf: options.senderOf,
    urlOf,
    isPublic,
    onUnavailable: (subgraph, error) => options.logger.warn('subgraph unavailable', { subgraph, error }),
  });
  // the stock executor's fetches go out as the lean executor's do, simultaneous events' merged
  const dataSource = (name: string): GraphQLDataSource<RouterContext> => ({
    process: ({ request, context }) =>
      fetches.forViewer(context.viewer ?? null)(name, { query: request.query ?? '', variables: request.variables ?? {}, operationName: request.operationName }),
  });

  /** On the stock executor: the whole plan, with the primary fetch answered by the event instead of a request. */
  const runStock = async (requestContext: StockContext, stock: StockPlan, primary: FetchNode, event: FormattedExecutionResult): Promise<ExecutionResult> => {
    const services = new Proxy({} as Record<string, GraphQLDataSource<RouterContext>>, {
      get: (_target, name: string) =>
        name === primary.serviceName
          ? {
              process: (request: GraphQLDataSourceProcessOptions<RouterContext>) =>
                request.request.query === primary.operation ? Promise.resolve(event) : dataSource(name).process(request),
            }
          : dataSource(name),
    });
    const result = await executeQueryPlan(stock.plan, services, requestContext, stock.operationContext, supergraphGraphQLSchema, apiSchema);
    options.onExecuted?.('gateway');
    return result.errors?.length ? { ...result, errors: result.errors.map(forClient) } : result;
  };

  /** What the stock executor reads of a request: made once per subscription, for plans only it runs. */
  const stockContext = (args: ExecutionArgs): StockContext => {
    return {
      request: { query: print(args.document), variables: args.variableValues ?? {}, operationName: args.operationName ?? undefined },
      document: args.document,
      operationName: args.operationName ?? null,
      context: args.contextValue,
      logger: { debug: () => undefined, info: () => undefined, warn: (m: unknown) => options.logger.warn(String(m)), error: (m: unknown) => options.logger.error(String(m)) },
      metrics: {},
      cache: undefined,
      overallCachePolicy: undefined,
    } as unknown as StockContext;
  };

  const planOf = eventPlans(options.supergraph, isPublic);
  const sharedResults = new SharedEventResults();

  /** One upstream subscription and one execution of the rest of the plan per event. */
  const openSource = (args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> | ExecutionResult => {
    const context = args.contextValue as RouterContext;
    // over HTTP (multipart) the request's own scope; over WebSocket the connection's
    const scope = context.request ?? currentRequest();
    const planned = planOf(args.document, args.operationName);
    if ('errors' in planned) return { errors: planned.errors };
    const { primary } = planned;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const send = fetches.forViewer(context.viewer);
    let requestContext: StockContext | undefined;
    const execute = async (event: FormattedExecutionResult): Promise<ExecutionResult> => {
      // the subgraph refused the subscription (not allowed to see it, …): its errors are the answer
      if (event.errors?.length && !event.data) return { errors: event.errors.map((e) => new GraphQLError(e.message, { extensions: e.extensions })) };
      if ('stock' in planned) return runStock((requestContext ??= stockContext(args)), planned.stock, primary, event);
      try {
        const { errors, ...result } = await runOperation(planned.lean, { send, variables, initial: event });
        options.onExecuted?.('lean');
        return errors?.length ? { ...result, errors: errors.map(forClient) } : result;
      } catch (error) {
        if (!(error instanceof CannotShape)) throw error;
        return { errors: [new GraphQLError(`This subscription cannot run: ${error.message}`, { extensions: { code: 'BAD_USER_INPUT' } })] };
      }
    };
    // subscribers of a plan whose fetches are all public share each event's result (event-results.ts)
    const sharing = 'lean' in planned && planned.viewerFree ? scopeOf(planned, variables) : undefined;
    const runEvent = (event: FormattedExecutionResult): Promise<ExecutionResult> => (sharing ? sharedResults.resultOf(sharing, event, () => execute(event)) : execute(event));

    const iterator = pushIterator<ExecutionResult>((push, end) => {
      const upstream = options.upstreams.of(primary.serviceName);
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
              runEvent(event).catch((error: unknown) => {
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
            if (!Array.isArray(error)) options.upstreams.forget(primary.serviceName, upstream);
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

  return openSource;
}

function pick(variables: Record<string, unknown>, names: readonly string[] | undefined): Record<string, unknown> {
  return Object.fromEntries((names ?? []).filter((name) => name in variables).map((name) => [name, variables[name]]));
}

/** An error of a subscription event as clients may see it; the plan's executor yields both errors and their formatted form. */
function forClient(error: GraphQLError | GraphQLFormattedError): GraphQLError {
  const shaped = formatErrorForClient(error instanceof GraphQLError ? error.toJSON() : error);
  return new GraphQLError(shaped.message, { extensions: shaped.extensions, path: shaped.path });
}

