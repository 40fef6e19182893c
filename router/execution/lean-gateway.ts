import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import type { Fetcher } from '@apollo/utils.fetcher';
import { LRUCache } from 'lru-cache';
import { encodeViewer } from '../../lib/auth/viewer';
import type { RouterContext } from '../gateway';
import type { LoadedSupergraph } from '../supergraph';
import type { SendOperation } from './execute-plan';
import { askSubgraph, type SubgraphClient } from './ask-subgraph';
import { InFlightReads } from './in-flight';
import { prepareOperation, runOperation, type GatewayOnly, type PreparedOperation } from './operation-runner';
import { CannotShape } from './shape';
import type { SubgraphAnswer } from './subgraph-errors';

/**
 * Queries and mutations run on the router's own executor (router/execution/operation-runner.ts);
 * @apollo/gateway's runs only what the lean one leaves to it, each for a reason named by GatewayOnly
 * (introspection, subscriptions sent as one request, operations the planner refuses, @defer and
 * other plan nodes it does not run). Per operation (document hash and name) the plan and the
 * response shaper are made once and kept; per request there is no schema-wide work: the plan's
 * fetches go out on the router's subgraph client (signed, traced, timed), their answers are merged
 * into one object, and the client's response is shaped from it in one pass.
 *
 * Subgraph errors, partial data, unreachable subgraphs and nulls where the schema says non-null are
 * answered here as the gateway answers them, so that no request runs twice: a mutation's fields are
 * sent once, in the plan's order.
 */
export interface LeanOptions {
  supergraph: LoadedSupergraph;
  /** The router's composed client to one subgraph (signing, tracing and timing included). */
  senderOf(subgraph: string): Fetcher;
  /** How many operations' plans and shapers are kept. */
  maxOperations?: number;
  /** Identical reads in flight share one subgraph request (default); false sends every read. */
  shareReads?: boolean;
  /** Told of each read answered by an identical one in flight. */
  onShared?: (subgraph: string) => void;
  /** Told which executor answered each operation. */
  onExecuted?: (executor: 'lean' | 'gateway') => void;
  /** Told of each subgraph that could not be reached or gave no GraphQL answer (its part of the answer fails). */
  onUnavailable?: (subgraph: string, error: Error) => void;
}

export function leanGateway(inner: GatewayInterface, options: LeanOptions): GatewayInterface {
  return {
    onSchemaLoadOrUpdate: (callback) => inner.onSchemaLoadOrUpdate(callback),
    stop: () => inner.stop(),
    async load(loadOptions) {
      const loaded = await inner.load(loadOptions);
      return { ...loaded, executor: loaded.executor && leanExecutor(loaded.executor, options) };
    },
  };
}

function leanExecutor(gateway: GatewayExecutor, options: LeanOptions): GatewayExecutor {
  const fallback: GatewayExecutor = (request) => {
    options.onExecuted?.('gateway');
    return gateway(request);
  };
  const reads = options.shareReads === false ? null : new InFlightReads<SubgraphAnswer>();
  // a reason: an operation the lean path leaves to the gateway, remembered as such
  const prepared = new LRUCache<string, PreparedOperation | GatewayOnly>({ max: options.maxOperations ?? 1000 });

  return async (request) => {
    const kind = request.operation.operation;
    const key = `${request.queryHash}:${request.operationName ?? ''}`;
    let entry = prepared.get(key);
    if (entry === undefined) {
      entry = kind === 'subscription' ? 'subscription' : prepareOperation(options.supergraph, request.document, request.operationName);
      prepared.set(key, entry);
    }
    if (typeof entry === 'string') return fallback(request);
    const viewer = (request.context as RouterContext).viewer;
    try {
      // reads may share a request in flight; a mutation's fetches never do
      const result = await runOperation(entry, { send: sender(options, kind === 'query' ? reads : null, viewer), variables: request.request.variables });
      options.onExecuted?.('lean');
      return result;
    } catch (error) {
      // thrown before anything was sent (see runOperation)
      if (error instanceof CannotShape) return fallback(request);
      throw error;
    }
  };
}

/**
 * Subgraph requests for one client request: its viewer, encoded once and signed with each body.
 * Reads identical to one in flight (same subgraph, viewer and body) wait for its answer, parsed once
 * for every request that shares it: the executor merges it copy-on-write, never changing it.
 */
function sender(options: LeanOptions, reads: InFlightReads<SubgraphAnswer> | null, viewer: RouterContext['viewer']): SendOperation {
  const encoded = encodeViewer(viewer ?? null);
  const client: SubgraphClient = { senderOf: options.senderOf, urlOf: (subgraph) => options.supergraph.urlOf(subgraph), onUnavailable: options.onUnavailable };
  return async (subgraph, request) => {
    const body = JSON.stringify(request);
    const read = () => askSubgraph(client, subgraph, body, encoded);
    return reads ? reads.ask(`${subgraph}\n${encoded}\n${body}`, read, () => options.onShared?.(subgraph)) : read();
  };
}
