import type { GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import { operationFromDocument } from '@apollo/federation-internals';
import type { PlanNode } from '@apollo/query-planner';
import type { Fetcher } from '@apollo/utils.fetcher';
import { Kind, type FragmentDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { LRUCache } from 'lru-cache';
import { encodeViewer, VIEWER_HEADER } from '../../lib/auth/viewer';
import type { RouterContext } from '../gateway';
import type { LoadedSupergraph } from '../supergraph';
import { executePlan, isLeanPlan, type SendFetch } from './execute-plan';
import { InFlightReads, type RawAnswer } from './in-flight';
import { CannotShape, shaperFor, type Shaper } from './shape';

/**
 * Queries run on the router's own executor; everything else, and any query it cannot answer as the
 * stock gateway would, on `@apollo/gateway`'s. Per operation (document hash and name) the plan and
 * the response shaper are made once and kept; per request there is no schema-wide work: the plan's
 * fetches go out on the router's subgraph client (signed, traced, timed), their answers are merged
 * into one object, and the client's response is shaped from it in one pass.
 *
 * A query whose subgraphs answer with errors, or whose data the shaper cannot complete (nulls where
 * the schema says non-null, …), is run again by the gateway, which knows how to answer with partial
 * data and located errors: queries read, so running one twice changes nothing, at the cost of the
 * second run. Mutations never run twice: they always go to the gateway.
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
}

interface Prepared {
  node: PlanNode;
  shaper: Shaper;
}

/** A subgraph that could not be reached, or answered with errors or without data: the gateway's to handle. */
class SubgraphFailed extends Error {}

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
  const { apiSchema, apiGraphQLSchema, supergraphGraphQLSchema, planner } = options.supergraph;
  const reads = options.shareReads === false ? null : new InFlightReads<ParsedAnswer>();
  // 0: an operation the lean path leaves to the gateway, remembered as such
  const prepared = new LRUCache<string, Prepared | 0>({ max: options.maxOperations ?? 1000 });

  const prepare = (request: GatewayGraphQLRequestContext): Prepared | 0 => {
    const rootFields = request.operation.selectionSet.selections;
    // introspection is the gateway's to answer
    if (rootFields.some((field) => field.kind === Kind.FIELD && field.name.value.startsWith('__') && field.name.value !== '__typename')) return 0;
    try {
      const plan = planner.buildQueryPlan(operationFromDocument(apiSchema, request.document, { operationName: request.operationName ?? undefined }));
      const node = plan.node;
      if (!node || node.kind === 'Subscription' || !isLeanPlan(node)) return 0;
      const fragments = Object.fromEntries(
        request.document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
      );
      return { node, shaper: shaperFor(apiGraphQLSchema, request.operation, fragments) };
    } catch {
      return 0; // the gateway gives the error it makes of it
    }
  };

  return async (request) => {
    if (request.operation.operation !== 'query') return fallback(request);
    const key = `${request.queryHash}:${request.operationName ?? ''}`;
    let entry = prepared.get(key);
    if (entry === undefined) prepared.set(key, (entry = prepare(request)));
    if (!entry) return fallback(request);
    const given = request.request.variables ?? {};
    const coerced = getVariableValues(apiGraphQLSchema, request.operation.variableDefinitions ?? [], given);
    if (coerced.errors) return fallback(request);
    try {
      const data: Record<string, unknown> = {};
      await executePlan(entry.node, supergraphGraphQLSchema, sender(options, reads, (request.context as RouterContext).viewer), { given, coerced: coerced.coerced }, data);
      const shaped = entry.shaper.shape(data, coerced.coerced);
      options.onExecuted?.('lean');
      return { data: shaped };
    } catch (error) {
      if (error instanceof CannotShape || error instanceof SubgraphFailed) return fallback(request);
      throw error;
    }
  };
}

/**
 * Subgraph requests for one client request: its viewer, encoded once and signed with each body.
 * Reads identical to one in flight (same subgraph, viewer and body) wait for its answer.
 */
function sender(options: LeanOptions, reads: InFlightReads<ParsedAnswer> | null, viewer: RouterContext['viewer']): SendFetch {
  const encoded = encodeViewer(viewer ?? null);
  return async (subgraph, request) => {
    const body = JSON.stringify(request);
    const send = async (): Promise<RawAnswer> => {
      const response = await options
        .senderOf(subgraph)(options.supergraph.urlOf(subgraph), {
          method: 'POST',
          headers: { 'content-type': 'application/json', [VIEWER_HEADER]: encoded },
          body,
        })
        .catch((error: unknown) => {
          throw new SubgraphFailed(`${subgraph} could not be reached: ${(error as Error).message}`);
        });
      return { status: response.status, text: await response.text() };
    };
    // parsed once for every request that shares the read: the executor only reads it
    const read = async (): Promise<ParsedAnswer> => parsed(await send());
    const { raw, answer } = reads ? await reads.ask(`${subgraph}\n${encoded}\n${body}`, read, () => options.onShared?.(subgraph)) : await read();
    const ok = raw.status >= 200 && raw.status < 300;
    if (!ok || answer.errors?.length || !answer.data) throw new SubgraphFailed(`${subgraph} answered ${raw.status}${answer.errors?.length ? ' with errors' : ''}`);
    return answer.data;
  };
}

interface ParsedAnswer {
  raw: RawAnswer;
  answer: { data?: Record<string, unknown> | null; errors?: unknown[] };
}

function parsed(raw: RawAnswer): ParsedAnswer {
  try {
    return { raw, answer: JSON.parse(raw.text) as ParsedAnswer['answer'] };
  } catch {
    return { raw, answer: {} };
  }
}
