import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { buildOperationContext, executeQueryPlan } from '@apollo/gateway';
import { operationFromDocument } from '@apollo/federation-internals';
import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import { GraphQLError, print, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { pushIterator } from '../../lib/async-queue';
import { signViewer, subscriptionRequest } from '../../lib/auth/viewer';
import { formatErrorForClient } from '../../lib/errors';
import { currentRequest, inRequest, type Logger } from '../../lib/logger';
import { EntityBatcher } from '../entity-batcher';
import { SignedDataSource, type RouterContext } from '../gateway';
import type { LoadedSupergraph } from '../supergraph';
import { upstreamErrors, type Upstreams } from './upstream';

export interface EventSourceOptions {
  supergraph: LoadedSupergraph;
  upstreams: Upstreams;
  routerSecret: string;
  logger: Logger;
  /** Told of every event result sent to a subscriber (for the metric). */
  onDelivered?: () => void;
}

export type OpenSource = (args: ExecutionArgs) => AsyncIterableIterator<ExecutionResult> | ExecutionResult;

/**
 * The query planner plans a subscription as `Subscription { primary, rest }`: the primary fetch is
 * opened as a subscription to the subgraph that owns the field (signed like every subgraph request),
 * and each event runs the rest of the plan, so that a subscriber may select fields of every subgraph.
 */
export function eventSources(options: EventSourceOptions): OpenSource {
  const { planner, apiSchema, apiGraphQLSchema, supergraphGraphQLSchema, urlOf } = options.supergraph;
  const dataSources = new Map<string, GraphQLDataSource<RouterContext>>();
  const dataSource = (name: string) => {
    let source = dataSources.get(name);
    if (!source) dataSources.set(name, (source = new EntityBatcher(new SignedDataSource(name, urlOf(name), options.routerSecret, undefined, options.logger))));
    return source;
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

