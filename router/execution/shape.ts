import {
  isAbstractType,
  isEnumType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * Data the lean path does not shape: a value missing or null where the schema says non-null, an
 * abstract value without its type, a value the API schema does not know. The stock gateway answers
 * those with partial data and errors; so does the router, by the gateway's value completion (see
 * operation-runner.ts).
 */
export class CannotShape extends Error {}

type Variables = Record<string, unknown>;
type Data = Record<string, unknown>;

export interface Shaper {
  /** The client's answer from the merged subgraph data: its fields, under its aliases, in its order. */
  shape(data: Data, variables: Variables): Data;
}

/**
 * Shapes responses for one operation, in one pass over the data guided by the operation's selections
 * and the API schema, as graphql-js would complete them (fields collected with their fragments,
 * `@skip`/`@include` applied, abstract types resolved by `__typename`). The fields each selection set
 * collects for each runtime type are worked out once and kept.
 */
export function shaperFor(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  /** Aliases the router gave (see requires-collisions.ts) → the client's response names, which the answer takes. */
  responseNames?: ReadonlyMap<string, string>,
): Shaper {
  const root = schema.getRootType(operation.operation);
  if (!root) throw new CannotShape(`no ${operation.operation} type`);
  // per runtime type, the fields the selection sets collect, unless skip/include make them depend on variables
  const collected = new WeakMap<readonly FieldNode[] | SelectionSetNode, Map<string, Map<string, FieldNode[]>>>();
  const conditional = hasConditions(operation.selectionSet, fragments, new Set());

  function collect(type: GraphQLObjectType, sets: readonly SelectionSetNode[], variables: Variables): Map<string, FieldNode[]> {
    const fields = new Map<string, FieldNode[]>();
    const visited = new Set<string>();
    const walk = (set: SelectionSetNode) => {
      for (const selection of set.selections) {
        if (!included(selection.directives, variables)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const list = fields.get(key);
          if (list) list.push(selection);
          else fields.set(key, [selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (!selection.typeCondition || applies(selection.typeCondition.name.value, type)) walk(selection.selectionSet);
        } else {
          const name = selection.name.value;
          if (visited.has(name)) continue;
          visited.add(name);
          const fragment = fragments[name];
          if (fragment && applies(fragment.typeCondition.name.value, type)) walk(fragment.selectionSet);
        }
      }
    };
    for (const set of sets) walk(set);
    return fields;
  }

  function applies(condition: string, type: GraphQLObjectType): boolean {
    if (condition === type.name) return true;
    const conditionType = schema.getType(condition);
    return conditionType !== undefined && isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  }

  function fieldsOf(type: GraphQLObjectType, key: readonly FieldNode[] | SelectionSetNode, sets: () => SelectionSetNode[], variables: Variables) {
    if (conditional) return collect(type, sets(), variables);
    let byType = collected.get(key);
    if (!byType) collected.set(key, (byType = new Map()));
    let fields = byType.get(type.name);
    if (!fields) byType.set(type.name, (fields = collect(type, sets(), variables)));
    return fields;
  }

  function shapeObject(type: GraphQLObjectType, fields: Map<string, FieldNode[]>, source: Data, variables: Variables): Data {
    const result: Data = {};
    const definitions = type.getFields();
    for (const [key, nodes] of fields) {
      const name = nodes[0].name.value;
      const responseName = responseNames?.get(key) ?? key;
      if (name === '__typename') {
        result[responseName] = type.name;
        continue;
      }
      const definition = definitions[name];
      if (!definition) throw new CannotShape(`${type.name}.${name} is not in the API schema`);
      const value = source[key];
      if (value === undefined) throw new CannotShape(`${type.name}.${key} is missing`);
      result[responseName] = complete(definition.type, nodes, value, variables);
    }
    return result;
  }

  function complete(type: GraphQLOutputType, nodes: FieldNode[], value: unknown, variables: Variables): unknown {
    if (isNonNullType(type)) {
      if (value === null) throw new CannotShape('null where the schema says non-null');
      return complete(type.ofType, nodes, value, variables);
    }
    if (value === null) return null;
    if (isListType(type)) {
      if (!Array.isArray(value)) throw new CannotShape('a list that is not one');
      return value.map((item) => complete(type.ofType, nodes, item, variables));
    }
    if (isLeafType(type)) {
      // an enum value the API schema hides (@inaccessible) must not reach a client
      if (isEnumType(type) && (typeof value !== 'string' || !type.getValue(value))) throw new CannotShape(`${String(value)} is not a ${type.name}`);
      return value;
    }
    if (typeof value !== 'object' || Array.isArray(value)) throw new CannotShape('an object that is not one');
    const source = value as Data;
    let runtime: GraphQLObjectType;
    if (isObjectType(type)) runtime = type;
    else {
      const named = typeof source.__typename === 'string' ? schema.getType(source.__typename) : undefined;
      if (!named || !isObjectType(named) || !schema.isSubType(type, named)) throw new CannotShape(`no known type for a ${type.name}`);
      runtime = named;
    }
    const fields = fieldsOf(runtime, nodes, () => nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : [])), variables);
    return shapeObject(runtime, fields, source, variables);
  }

  return {
    shape(data, variables) {
      return shapeObject(root, fieldsOf(root, operation.selectionSet, () => [operation.selectionSet], variables), data, variables);
    },
  };
}

function included(directives: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: ValueNode }[] }[] | undefined, variables: Variables): boolean {
  if (!directives?.length) return true;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const argument = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    const value = argument?.kind === Kind.BOOLEAN ? argument.value : argument?.kind === Kind.VARIABLE ? variables[argument.name.value] === true : false;
    if (name === 'skip' && value) return false;
    if (name === 'include' && !value) return false;
  }
  return true;
}

/** Whether any selection carries `@skip`/`@include`: then what is collected depends on the variables. */
function hasConditions(set: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>, seen: Set<string>): boolean {
  for (const selection of set.selections) {
    if (selection.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include')) return true;
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const name = selection.name.value;
      if (seen.has(name)) continue;
      seen.add(name);
      const fragment = fragments[name];
      if (fragment && hasConditions(fragment.selectionSet, fragments, seen)) return true;
    } else if (selection.selectionSet && hasConditions(selection.selectionSet, fragments, seen)) return true;
  }
  return false;
}
