import { buildOperationContext } from '@apollo/gateway';
import { operationFromDocument } from '@apollo/federation-internals';
import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import { GraphQLError, Kind, print, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { isLeanPlan } from '../execution/execute-plan';
import { shaperFor, type Shaper } from '../execution/shape';
import type { LoadedSupergraph } from '../supergraph';

/**
 * What every subscription to one document shares, worked out once per document and operation name
 * (a thousand subscribers of one screen plan it once): the primary fetch, opened upstream; the rest
 * of the plan, run per event; and how events are executed: shaped by the router's executor when the
 * rest is a plan it runs, and by @apollo/gateway's executeQueryPlan over `eventPlan` otherwise.
 */
export interface EventPlan {
  operation: OperationDefinitionNode;
  primary: FetchNode;
  rest?: PlanNode;
  /** The whole plan with the primary first, for the stock executor (which answers the primary from the event). */
  eventPlan: QueryPlan;
  operationContext: ReturnType<typeof buildOperationContext>;
  /** The client's answer shaped from the merged data; absent where only the stock executor can answer. */
  shaper?: Shaper;
}

export type Planned = EventPlan | { errors: GraphQLError[] };

export function eventPlans(supergraph: LoadedSupergraph, maxDocuments = 1000): (document: DocumentNode, operationName?: string | null) => Planned {
  const known = new LRUCache<string, Planned>({ max: maxDocuments });
  return (document, operationName) => {
    const key = `${operationName ?? ''}\n${print(document)}`;
    let planned = known.get(key);
    if (!planned) known.set(key, (planned = plan(supergraph, document, operationName ?? undefined)));
    return planned;
  };
}

function plan(supergraph: LoadedSupergraph, document: DocumentNode, operationName: string | undefined): Planned {
  const { planner, apiSchema, apiGraphQLSchema } = supergraph;
  let queryPlan: QueryPlan;
  try {
    queryPlan = planner.buildQueryPlan(operationFromDocument(apiSchema, document, { operationName }));
  } catch (error) {
    return { errors: [new GraphQLError(`This subscription cannot be planned: ${(error as Error).message}`, { extensions: { code: 'BAD_USER_INPUT' } })] };
  }
  if (queryPlan.node?.kind !== 'Subscription') {
    return { errors: [new GraphQLError('Only subscriptions run over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_USER_INPUT' } })] };
  }
  const { primary, rest } = queryPlan.node;
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  )!;
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  let shaper: Shaper | undefined;
  try {
    shaper = !rest || isLeanPlan(rest) ? shaperFor(apiGraphQLSchema, operation, fragments) : undefined;
  } catch {
    shaper = undefined;
  }
  return {
    operation,
    primary,
    rest,
    eventPlan: {
      kind: 'QueryPlan',
      node: rest ? { kind: 'Sequence', nodes: [primary, ...(rest.kind === 'Sequence' ? rest.nodes : [rest])] } : primary,
    },
    operationContext: buildOperationContext({ schema: apiGraphQLSchema, operationDocument: document, operationName }),
    shaper,
  };
}
