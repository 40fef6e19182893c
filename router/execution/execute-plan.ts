import type { FetchNode, PlanNode, QueryPlanSelectionNode } from '@apollo/query-planner';
import { isAbstractType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { MergeTree } from './merge';
import { distinctRepresentations, errorsFor } from './representations';
import { CannotShape } from './shape';
import { locatedErrors, type SubgraphAnswer } from './subgraph-errors';

type Data = Record<string, unknown>;

/** Plans whose every node the lean path runs; others (deferred parts, rewrites, plan-level conditions) go to the gateway. */
export function isLeanPlan(node: PlanNode | undefined): boolean {
  return node !== undefined && everyFetch(node, (fetch) => !fetch.inputRewrites?.length && !fetch.outputRewrites?.length && !fetch.contextRewrites?.length && !fetch.hasDefers);
}

/**
 * Whether a plan is made only of the nodes the lean executor runs (fetches, sequences, parallels,
 * flattened fetches, conditions) and every fetch in it passes `test`; true for no plan at all.
 */
export function everyFetch(node: PlanNode | undefined, test: (fetch: FetchNode) => boolean): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'Fetch':
      return test(node);
    case 'Sequence':
    case 'Parallel':
      return node.nodes.every((child) => everyFetch(child, test));
    case 'Flatten':
      return node.node.kind === 'Fetch' && everyFetch(node.node, test);
    case 'Condition':
      return everyFetch(node.ifClause, test) && everyFetch(node.elseClause, test);
    default:
      return false;
  }
}

/** One subgraph request of a plan: the fetch's document, and the variables it uses (with representations for entities). */
export interface SubgraphRequest {
  query: string;
  variables: Data;
  operationName?: string;
}

/**
 * Sends one subgraph request and returns the subgraph's answer, errors included; throws (an error the
 * client may see, such as ServiceUnavailable) when the subgraph could not be reached or gave no GraphQL answer.
 */
export type SendOperation = (subgraph: string, request: SubgraphRequest) => Promise<SubgraphAnswer>;

/**
 * Runs a query plan's fetches, as the gateway's executeQueryPlan does, into one merged data object
 * (a root fetch merges its data at the top, a flattened entity fetch sends the representations its
 * `requires` selects from the entities at its path and merges each answer into its entity), and
 * answers with what went wrong as the gateway reports it, in the order it happened: each subgraph's errors at the client's paths (see locatedErrors), and each
 * fetch that failed as a whole (unreachable subgraph, `_entities` not matching its representations)
 * as the error it failed with; the rest of the plan still runs, and what did come is merged.
 */
export async function runPlan(node: PlanNode, schema: GraphQLSchema, send: SendOperation, variables: { given: Data; coerced: Data }, data: Data): Promise<Error[]> {
  const errors: Error[] = [];
  // answers may be shared with other requests: merged without being changed
  const tree = new MergeTree(data);
  const run = async (node: PlanNode, entities: Data[], path: readonly (string | number)[]): Promise<void> => {
    switch (node.kind) {
      case 'Sequence':
        for (const child of node.nodes) await run(child, entities, path);
        return;
      case 'Parallel':
        await Promise.all(node.nodes.map((child) => run(child, entities, path)));
        return;
      case 'Flatten':
        return run(node.node, tree.entitiesAt(entities, node.path), [...path, ...node.path]);
      case 'Fetch':
        // as the gateway: a fetch that fails leaves its part of the answer missing, and the plan goes on
        return fetchInto(node, entities, path).catch((error: unknown) => {
          errors.push(error instanceof Error ? error : new Error(String(error)));
        });
      case 'Condition': {
        // @skip/@include on a part of the plan: its variable, or the variable's default
        const value = variables.coerced[node.condition];
        if (typeof value !== 'boolean') throw new CannotShape(`no boolean for $${node.condition}`);
        const branch = value ? node.ifClause : node.elseClause;
        return branch ? run(branch, entities, path) : undefined;
      }
      default:
        throw new CannotShape(`plan node ${node.kind}`);
    }
  };

  /** positions: for an entity fetch, the representation each entity at the path was sent as (errors are theirs). */
  const ask = async (fetch: FetchNode, variables: Data, path: readonly (string | number)[], positions?: number[]): Promise<Data | null | undefined> => {
    const answer = await send(fetch.serviceName, { query: fetch.operation, operationName: fetch.operationName, variables });
    const received = positions ? entityErrors(answer.errors, positions) : answer.errors;
    if (received?.length) errors.push(...locatedErrors(fetch, received, path, data));
    return answer.data;
  };

  const fetchInto = async (fetch: FetchNode, entities: Data[], path: readonly (string | number)[]): Promise<void> => {
    if (entities.length === 0) return;
    const given: Data = {};
    // as the gateway sends them: the client's own values, defaults left to the subgraph
    for (const name of fetch.variableUsages ?? []) if (variables.given[name] !== undefined) given[name] = variables.given[name];
    if (!fetch.requires) {
      const received = await ask(fetch, given, path);
      for (const entity of entities) tree.merge(entity, received);
      return;
    }
    const selected: Data[] = [];
    const owners: Data[] = [];
    for (const entity of entities) {
      const representation = select(schema, entity, fetch.requires);
      if (representation && representation.__typename) {
        selected.push(representation);
        owners.push(entity);
      }
    }
    if (selected.length === 0) return;
    // an entity held in several places of the answer (the same product under many reviews) is asked
    // once: the stock gateway sends it once per place, and the subgraph resolves it as many times
    const {
      unique: representations,
      positions: [positions],
    } = distinctRepresentations([selected]);
    const received = await ask(fetch, { ...given, representations }, path, representations.length < selected.length ? positions : undefined);
    if (!received) return;
    const answers = received._entities;
    // the gateway's words for it
    if (!Array.isArray(answers)) throw new Error('Expected "data._entities" in response to be an array');
    if (answers.length !== representations.length) throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
    owners.forEach((owner, i) => {
      const answer: unknown = answers[positions[i]];
      // the owner has its __typename already: its representation was selected with it
      if (answer !== null && typeof answer === 'object') tree.merge(owner, answer);
    });
  };

  await run(node, [data], []);
  return errors;
}

/**
 * A subgraph's errors about distinct representations, as errors about each place that was sent as one
 * (`[_entities, i, ...]` numbered by place, in that order, as the gateway would have received them
 * had it sent a representation per place); other errors first, as they came.
 */
function entityErrors(errors: SubgraphAnswer['errors'], positions: number[]): SubgraphAnswer['errors'] {
  if (!errors?.length) return errors;
  const byPlace = errorsFor(errors, positions) ?? [];
  const place = (error: (typeof byPlace)[number]) => (error.path?.[0] === '_entities' && typeof error.path[1] === 'number' ? error.path[1] : -1);
  return byPlace.map((error, order) => ({ error, order })).sort((a, b) => place(a.error) - place(b.error) || a.order - b.order).map(({ error }) => error);
}

/** An entity's representation: the fields `requires` selects, for the type conditions it meets (null when one is missing). */
function select(schema: GraphQLSchema, source: unknown, selections: readonly QueryPlanSelectionNode[]): Data | null {
  if (source === null || typeof source !== 'object') return null;
  const object = source as Data;
  const result: Data = {};
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const key = selection.alias ?? selection.name;
      const value = object[key];
      if (value === undefined) return null;
      const nested = selection.selections;
      result[key] = !nested ? value : Array.isArray(value) ? value.map((item) => select(schema, item, nested)) : select(schema, value, nested);
    } else if (selection.typeCondition && isOfType(schema, object, selection.typeCondition)) {
      deepMerge(result, select(schema, object, selection.selections) ?? {});
    }
  }
  return result;
}

/** As the gateway decides it, on the supergraph's schema (where an @interfaceObject's entities are of an interface type). */
function isOfType(schema: GraphQLSchema, object: Data, condition: string): boolean {
  const typename = object.__typename;
  if (typeof typename !== 'string') return false;
  if (typename === condition) return true;
  const conditionType = schema.getType(condition);
  const type = schema.getType(typename);
  return isAbstractType(conditionType) && (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(conditionType, type);
}

const isObject = (value: unknown): value is Data => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Merges `source` into `target` in place, as the gateway merges subgraph answers: objects field by
 * field, lists of the same length item by item, anything else replaced.
 */
function deepMerge(target: Data, source: unknown): void {
  if (!isObject(source)) return;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    const existing = target[key];
    if (existing && isObject(value)) deepMerge(existing as Data, value);
    else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        if (isObject(existing[i]) && isObject(value[i])) deepMerge(existing[i] as Data, value[i]);
        else existing[i] = value[i];
      }
    } else target[key] = value;
  }
}
