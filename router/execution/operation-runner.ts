import { operationFromDocument, type Operation } from '@apollo/federation-internals';
// The gateway's own value completion, used where an answer is not whole (see runOperation).
import { computeResponse } from '@apollo/gateway/dist/resultShaping';
import type { FetchNode, PlanNode, SubscriptionNode } from '@apollo/query-planner';
import { getOperationAST, GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { LoadedSupergraph } from '../supergraph';
import { isLeanPlan, runPlan, type SendOperation } from './execute-plan';
import { renameData, renamePath, rewriteRequiresCollisions } from './requires-collisions';
import { CannotShape, shaperFor, type Shaper } from './shape';
import { locatedErrors, type SubgraphAnswer } from './subgraph-errors';

type Data = Record<string, unknown>;

/*
 * One execution path for queries, mutations and each subscription event: an operation is prepared
 * once (prepareOperation: plan, response shaper, the operation as the gateway's value completion
 * reads it) and run per request (runOperation: variables, fetches, errors, shaping), answering what
 * @apollo/gateway's executor answers. The router's lean gateway (lean-gateway.ts) runs HTTP queries
 * and mutations through it; a subscription prepared here keeps its primary fetch apart, and each
 * event runs the rest of the plan under the event's data:
 *
 *   const prepared = prepareOperation(supergraph, document, operationName); // once
 *   // per event, `event` being the primary subgraph's { data, errors } for prepared.primary
 *   const { data, errors, extensions } = await runOperation(prepared, { send, variables, initial: event });
 */

/**
 * Why an operation is left to @apollo/gateway's executor; nothing else is. Introspection: the
 * gateway answers it from the API schema. Subscriptions sent as one request: the gateway refuses
 * them in its own words (subscriptions proper are served by router/subscriptions; lean-gateway.ts
 * tells them apart before preparing, since prepareOperation prepares them for that). Not planned: the
 * planner refused the operation, and the gateway gives the client its error. Plan: a plan node the
 * lean executor does not run (@defer, rewrites of inputs/outputs/contexts, …).
 */
export type GatewayOnly = 'introspection' | 'subscription' | 'not planned' | 'plan';

/** One operation, planned and ready to run for any number of requests; see prepareOperation. */
export interface PreparedOperation {
  /** What is fetched per request: the plan, or for a subscription the rest of it (none: nothing to fetch). */
  node: PlanNode | undefined;
  /** A subscription's primary fetch: the one each event answers. */
  primary?: FetchNode;
  definition: OperationDefinitionNode;
  shaper: Shaper;
  /** The operation as the gateway's value completion reads it. */
  operation: Operation;
  /** The supergraph's schema, against which entities' representations are selected. */
  supergraph: LoadedSupergraph;
  /** The variables of the plan's Condition nodes: each must be a boolean before anything is sent. */
  conditions: string[];
  /**
   * Aliases given to the client's fields that took the response name of a field a `@requires` needs,
   * → the client's response names (see requires-collisions.ts): planned and fetched under the alias,
   * answered under the client's name.
   */
  responseNames?: ReadonlyMap<string, string>;
}

export interface RunInput {
  /** Sends each of the plan's subgraph requests (see SendOperation). */
  send: SendOperation;
  /** The client's variables as given: coerced here, and sent to subgraphs as given, as the gateway does. */
  variables: Data | undefined;
  /**
   * For a subscription event: the primary fetch's answer, merged (and its errors located) as the
   * gateway does a root fetch's, before the rest of the plan runs under it. Left as it is.
   */
  initial?: SubgraphAnswer;
}

/** The client's answer, as @apollo/gateway's executor gives it (errors unformatted: the server formats them). */
export interface OperationResult {
  data?: Data | null;
  errors?: readonly GraphQLError[];
  extensions?: Data;
}

/**
 * Plans an operation and makes its response shaper, once per operation: the per-request part is
 * runOperation. Answers why instead when the operation is one the lean executor leaves to the gateway.
 */
export function prepareOperation(supergraph: LoadedSupergraph, clientDocument: DocumentNode, operationName?: string | null): PreparedOperation | GatewayOnly {
  const asked = getOperationAST(clientDocument, operationName ?? undefined);
  if (!asked) return 'not planned';
  const introspects = asked.selectionSet.selections.some(
    (field) => field.kind === Kind.FIELD && field.name.value.startsWith('__') && field.name.value !== '__typename',
  );
  if (introspects) return 'introspection';
  const rewrite = rewriteRequiresCollisions(supergraph.apiGraphQLSchema, supergraph.supergraphGraphQLSchema, clientDocument);
  const document = rewrite?.document ?? clientDocument;
  const definition = rewrite ? getOperationAST(document, operationName ?? undefined) : asked;
  if (!definition) return 'not planned';
  let operation: Operation;
  let planned: PlanNode | SubscriptionNode | undefined;
  try {
    operation = operationFromDocument(supergraph.apiSchema, document, { operationName: operationName ?? undefined });
    planned = supergraph.planner.buildQueryPlan(operation).node;
  } catch {
    return 'not planned';
  }
  let node: PlanNode | undefined;
  let primary: FetchNode | undefined;
  if (planned?.kind === 'Subscription') {
    primary = planned.primary;
    node = planned.rest;
  } else node = planned;
  if (node && !isLeanPlan(node)) return 'plan';
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  let shaper: Shaper;
  try {
    shaper = shaperFor(supergraph.apiGraphQLSchema, definition, fragments, rewrite?.responseNames);
  } catch {
    return 'not planned';
  }
  return { node, primary, definition, shaper, operation, supergraph, conditions: conditionsOf(node), responseNames: rewrite?.responseNames };
}

/**
 * Runs a prepared operation for one request and answers as @apollo/gateway's executor would:
 * variables coerced (their errors answered alone, nothing sent); the plan's fetches sent, each
 * subgraph error located at the client's path and each failed fetch reported, in the order they
 * happened; the response shaped in one pass from the merged data. Where that data is not whole (a
 * fetch failed, or a null sits where the schema says non-null), the gateway's own value completion
 * shapes it instead, so that nulls propagate to the nearest nullable parent exactly as the stock
 * gateway propagates them (its "Cannot return null for non-nullable field T.f." kept under
 * `extensions.valueCompletion` when no fetch failed, as the gateway keeps it).
 *
 * Throws CannotShape, before any subgraph request, for a plan condition without a boolean value: the
 * gateway's to answer. Every other failure is part of the answer: a mutation's fields run once.
 */
export async function runOperation(prepared: PreparedOperation, input: RunInput): Promise<OperationResult> {
  const { supergraph } = prepared;
  const given = input.variables ?? {};
  const coerced = getVariableValues(supergraph.apiGraphQLSchema, prepared.definition.variableDefinitions ?? [], given);
  if (coerced.errors) return { errors: coerced.errors };
  const variables = { given, coerced: coerced.coerced };
  for (const name of prepared.conditions) if (typeof variables.coerced[name] !== 'boolean') throw new CannotShape(`no boolean for $${name}`);

  const data: Data = {};
  const errors: Error[] = [];
  if (input.initial && prepared.primary) {
    if (input.initial.errors?.length) errors.push(...locatedErrors(prepared.primary, input.initial.errors, [], data));
    // by reference: the rest of the plan merges copy-on-write (merge.ts), so the event stays as it came
    // and one event may serve several subscribers
    if (input.initial.data) Object.assign(data, input.initial.data);
  }
  if (prepared.node) errors.push(...(await runPlan(prepared.node, supergraph.supergraphGraphQLSchema, input.send, variables, data)));

  if (errors.length === 0) {
    try {
      return { data: prepared.shaper.shape(data, variables.coerced) };
    } catch (error) {
      if (!(error instanceof CannotShape)) throw error;
    }
  }
  const completed = completeAsGateway(prepared.operation, given, data, errors);
  return prepared.responseNames ? underClientNames(completed, prepared.responseNames) : completed;
}

/** An answer of the gateway's value completion with the client's response names where the router gave aliases. */
function underClientNames(result: OperationResult, responseNames: ReadonlyMap<string, string>): OperationResult {
  const rename = (error: GraphQLError) =>
    new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path && renamePath(error.path, responseNames),
      originalError: error.originalError,
      extensions: error.extensions,
    });
  const valueCompletion = result.extensions?.valueCompletion as GraphQLError[] | undefined;
  return {
    ...result,
    data: result.data && (renameData(result.data, responseNames) as Data),
    ...(result.errors && { errors: result.errors.map(rename) }),
    ...(valueCompletion && { extensions: { ...result.extensions, valueCompletion: valueCompletion.map(rename) } }),
  };
}

/** The gateway's post-processing of a merged answer (executeQueryPlan's), its outcomes kept as it keeps them. */
function completeAsGateway(operation: Operation, variables: Data, input: Data, errors: Error[]): OperationResult {
  let completed: ReturnType<typeof computeResponse>;
  try {
    completed = computeResponse({
      operation,
      variables,
      input,
      introspectionHandling: () => {
        throw new CannotShape('introspection is the gateway’s'); // refused by prepareOperation
      },
    });
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [error] };
    return { errors: [new GraphQLError(error instanceof Error ? error.message : 'Unexpected error during query plan execution', { originalError: error instanceof Error ? error : undefined })] };
  }
  const data = completed.data as Data | null | undefined;
  if (errors.length === 0 && completed.errors.length > 0) return { extensions: { valueCompletion: completed.errors }, data };
  // as Apollo Server would make them of plain errors (ensureGraphQLError)
  return errors.length === 0 ? { data } : { errors: errors.map((e) => (e instanceof GraphQLError ? e : new GraphQLError(e.message, { originalError: e }))), data };
}

function conditionsOf(node: PlanNode | undefined): string[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(conditionsOf);
    case 'Flatten':
      return conditionsOf(node.node);
    case 'Condition':
      return [node.condition, ...conditionsOf(node.ifClause), ...conditionsOf(node.elseClause)];
    default:
      return [];
  }
}
