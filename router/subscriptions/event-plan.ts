import { buildOperationContext } from '@apollo/gateway';
import { operationFromDocument } from '@apollo/federation-internals';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import { GraphQLError, print, type DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { prepareOperation, type PreparedOperation } from '../execution/operation-runner';
import { everyFetch } from '../execution/execute-plan';
import type { LoadedSupergraph } from '../supergraph';

/**
 * What every subscription to one document shares, worked out once per document and operation name
 * (a thousand subscribers of one screen plan it once): the primary fetch, opened upstream, and how
 * each event runs the rest of the plan: on the router's executor (execution/operation-runner.ts, as
 * queries and mutations), or, for a plan it does not run (@defer, rewrites), on @apollo/gateway's
 * executeQueryPlan over the whole plan with the primary answered by the event.
 */
export type EventPlan =
  /** viewerFree: every fetch of the rest is `@public`, so an event's result depends on the event alone (event-results.ts). */
  | { primary: FetchNode; lean: PreparedOperation; viewerFree: boolean }
  | { primary: FetchNode; stock: { plan: QueryPlan; operationContext: ReturnType<typeof buildOperationContext> } };

export type Planned = EventPlan | { errors: GraphQLError[] };

const printedDocuments = new WeakMap<DocumentNode, string>();

/** A subscription's document as text, printed once however many times its subscription is keyed (shared.ts, eventPlans). */
export function printed(document: DocumentNode): string {
  let text = printedDocuments.get(document);
  if (text === undefined) printedDocuments.set(document, (text = print(document)));
  return text;
}

export function eventPlans(
  supergraph: LoadedSupergraph,
  /** Whether a fetch asks only for `@public` fields (execution/public-fetches.ts). */
  isPublic: (fetchDocument: string) => boolean,
  maxDocuments = 1000,
): (document: DocumentNode, operationName?: string | null) => Planned {
  const known = new LRUCache<string, Planned>({ max: maxDocuments });
  return (document, operationName) => {
    const key = `${operationName ?? ''}\n${printed(document)}`;
    let planned = known.get(key);
    if (!planned) known.set(key, (planned = plan(supergraph, isPublic, document, operationName ?? undefined)));
    return planned;
  };
}

function plan(supergraph: LoadedSupergraph, isPublic: (fetchDocument: string) => boolean, document: DocumentNode, operationName: string | undefined): Planned {
  const prepared = prepareOperation(supergraph, document, operationName);
  if (typeof prepared !== 'string' && prepared.primary) return { primary: prepared.primary, lean: prepared, viewerFree: everyFetch(prepared.node, (fetch) => isPublic(fetch.operation)) };
  let queryPlan: QueryPlan;
  try {
    queryPlan = supergraph.planner.buildQueryPlan(operationFromDocument(supergraph.apiSchema, document, { operationName }));
  } catch (error) {
    return { errors: [new GraphQLError(`This subscription cannot be planned: ${(error as Error).message}`, { extensions: { code: 'BAD_USER_INPUT' } })] };
  }
  if (queryPlan.node?.kind !== 'Subscription') {
    return { errors: [new GraphQLError('Only subscriptions run over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_USER_INPUT' } })] };
  }
  const { primary, rest } = queryPlan.node;
  return {
    primary,
    stock: {
      plan: { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [primary, ...(rest.kind === 'Sequence' ? rest.nodes : [rest])] } : primary },
      operationContext: buildOperationContext({ schema: supergraph.apiGraphQLSchema, operationDocument: document, operationName }),
    },
  };
}
