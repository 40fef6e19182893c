import type { Server } from 'node:http';
import type { Histogram } from 'prom-client';
import type { ExecutionArgs, ExecutionResult, GraphQLSchema } from 'graphql';
import type { Logger } from '../../lib/logger';
import type { ClientAddressOf } from '../../lib/server/access-log';
import type { TokenVerifier } from '../auth';
import { DEFAULT_RECONNECT, type ReconnectPolicy } from '../config';
import { subgraphSender } from '../gateway';
import { subgraphFetcher } from '../subgraph-fetcher';
import type { OperationLimits } from '../limits';
import type { RequestGate } from '../request-gate';
import type { LoadedSupergraph } from '../supergraph';
import { eventSources } from './event-source';
import { sharedSubscriptions } from './shared';
import { Upstreams } from './upstream';
import { serveWebSocket } from './websocket';

export interface SubscriptionOptions {
  supergraph: LoadedSupergraph;
  routerSecret: string;
  tokens: TokenVerifier;
  logger: Logger;
  reconnect?: ReconnectPolicy;
  limits: OperationLimits;
  /** The checks HTTP requests pass, applied to each subscribe too. */
  gate: RequestGate;
  /** Told of every event result sent to a subscriber (for the metric). */
  onDelivered?: () => void;
  /** Told which executor answered each event: the router's own, or the stock one (see event-source.ts). */
  onExecuted?: (executor: 'lean' | 'gateway') => void;
  /** Where the events' subgraph fetch durations are observed. */
  fetches?: Histogram<'subgraph' | 'outcome'>;
  /** Who a connection's end client is (the socket's peer, or a trusted proxy's word). */
  clientAddress?: ClientAddressOf;
}

/**
 * Federated subscriptions, which the stock gateway refuses to execute: over graphql-ws at `/graphql`
 * (websocket.ts) and over multipart HTTP (the router's server calls `subscribe`). Each runs as an
 * upstream subscription to the subgraph that owns the field and the rest of the plan per event
 * (event-source.ts), shared by identical subscribers (shared.ts), over one connection per subgraph
 * (upstream.ts).
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
  const upstreams = new Upstreams(options.supergraph.urlOf, options.routerSecret, options.reconnect ?? DEFAULT_RECONNECT);
  // events' fetches go out on a pool of their own: a burst of them does not queue queries behind it
  const fetcher = subgraphFetcher();
  const senders = new Map(options.supergraph.subgraphs.map(({ name }) => [name, subgraphSender(name, fetcher, options.routerSecret, options.fetches)]));
  const senderOf = (subgraph: string) => senders.get(subgraph) ?? subgraphSender(subgraph, fetcher, options.routerSecret, options.fetches);
  const shared = sharedSubscriptions(
    eventSources({ supergraph: options.supergraph, upstreams, routerSecret: options.routerSecret, logger: options.logger, onDelivered: options.onDelivered, onExecuted: options.onExecuted, senderOf }),
  );
  const websocket = serveWebSocket(server, { schema: options.supergraph.apiGraphQLSchema, tokens: options.tokens, limits: options.limits, gate: options.gate, subscribe: shared.subscribe, clientAddress: options.clientAddress });
  return {
    subscribe: shared.subscribe,
    schema: options.supergraph.apiGraphQLSchema,
    active: shared.active,
    async stop() {
      await shared.endAll();
      await upstreams.closeAll();
      await websocket.close();
    },
  };
}
