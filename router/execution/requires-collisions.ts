import {
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  print,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
} from 'graphql';

/**
 * Where @apollo/query-planner is wrong, and how the router is right anyway.
 *
 * A field's `@requires` selection (say `price(currency: "EUR")`) is added to the fetch that brings
 * the entity's representation, in the same selection set as the client's own fields of that type.
 * The planner merges the two by response name: when the client's field takes the response name of a
 * required one without being the same field (`price`, `price(currency: "USD")`, `price: weight`,
 * `dimensions: weight`, `price @skip(if: true)`), it keeps the client's and drops the required one,
 * so the requiring subgraph computes from the wrong value, or from none, or the fetch is refused.
 *
 * The router gives each such client field a response name of its own before planning (an alias no
 * name in the document uses), so that both reach the subgraph, and the answer goes back under the
 * client's names (the shaper, and renameResponse where the gateway's value completion shapes it).
 */
export interface RequiresRewrite {
  document: DocumentNode;
  /** The alias given → the client's response name. */
  responseNames: ReadonlyMap<string, string>;
}

/** Per type, per field with a `@requires`, the top-level selections it requires (from the supergraph's join__field). */
type Requirements = Map<string, Map<string, FieldNode[]>>;

const requirementsOf = new WeakMap<GraphQLSchema, Requirements>();

function requirements(supergraphSchema: GraphQLSchema): Requirements {
  let known = requirementsOf.get(supergraphSchema);
  if (known) return known;
  known = new Map();
  for (const type of Object.values(supergraphSchema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      for (const directive of field.astNode?.directives ?? []) {
        if (directive.name.value !== 'join__field') continue;
        const requires = directive.arguments?.find((argument) => argument.name.value === 'requires')?.value;
        if (requires?.kind !== Kind.STRING) continue;
        const [operation] = parse(`{ ${requires.value} }`).definitions;
        if (operation?.kind !== Kind.OPERATION_DEFINITION) continue;
        const fields = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
        let byField = known.get(type.name);
        if (!byField) known.set(type.name, (byField = new Map()));
        byField.set(field.name, [...(byField.get(field.name) ?? []), ...fields]);
      }
    }
  }
  requirementsOf.set(supergraphSchema, known);
  return known;
}

/**
 * The client's document with every field that could collide with a required one under a response
 * name of its own; undefined when nothing could (no field with a `@requires` is asked, or the
 * client's fields of its type are the required ones themselves), which is nearly always.
 */
export function rewriteRequiresCollisions(apiSchema: GraphQLSchema, supergraphSchema: GraphQLSchema, document: DocumentNode): RequiresRewrite | undefined {
  const byType = requirements(supergraphSchema);
  if (byType.size === 0) return undefined;

  // the types (and the types a selection on an abstract type may be) of the required selections in play
  const inPlay = new Map<string, FieldNode[]>();
  const typesOf = (parent: GraphQLCompositeType): readonly GraphQLCompositeType[] => (isAbstractType(parent) ? [parent, ...apiSchema.getPossibleTypes(parent)] : [parent]);
  const asked = new TypeInfo(apiSchema);
  visit(
    document,
    visitWithTypeInfo(asked, {
      Field(node) {
        const parent = asked.getParentType();
        if (!parent) return;
        for (const type of typesOf(parent)) {
          const required = byType.get(type.name)?.get(node.name.value);
          if (required) inPlay.set(type.name, [...(inPlay.get(type.name) ?? []), ...required]);
        }
      },
    }),
  );
  if (inPlay.size === 0) return undefined;

  const used = namesIn(document);
  const aliasFor = new Map<string, string>();
  const responseNames = new Map<string, string>();
  const fresh = (responseName: string): string => {
    let alias = aliasFor.get(responseName);
    if (alias) return alias;
    for (let n = 0; used.has((alias = `${responseName}_required${n}`)); n++);
    used.add(alias);
    aliasFor.set(responseName, alias);
    responseNames.set(alias, responseName);
    return alias;
  };

  const walking = new TypeInfo(apiSchema);
  const rewritten = visit(
    document,
    visitWithTypeInfo(walking, {
      Field(node) {
        const parent = walking.getParentType();
        if (!parent || node.name.value === '__typename') return undefined;
        const responseName = node.alias?.value ?? node.name.value;
        const required = typesOf(parent).flatMap((type) => inPlay.get(type.name) ?? []);
        const same = required.filter((field) => (field.alias?.value ?? field.name.value) === responseName);
        if (same.length === 0 || same.every((field) => isSameField(field, node))) return undefined;
        return { ...node, alias: { kind: Kind.NAME, value: fresh(responseName) } };
      },
    }),
  );
  return responseNames.size ? { document: rewritten, responseNames } : undefined;
}

/** The same field, arguments and selection, without directives: what the planner may merge with a required one. */
function isSameField(required: FieldNode, asked: FieldNode): boolean {
  if (asked.directives?.length) return false;
  const bare = (field: FieldNode) => print({ ...field, alias: undefined, directives: [] });
  return bare(required) === bare(asked);
}

function namesIn(document: DocumentNode): Set<string> {
  const names = new Set<string>();
  visit(document, {
    Name(node) {
      names.add(node.value);
    },
  });
  return names;
}

/** Data shaped by the gateway's value completion, under the client's response names (its order kept). */
export function renameData(value: unknown, responseNames: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => renameData(item, responseNames));
  if (value === null || typeof value !== 'object') return value;
  const renamed: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) renamed[responseNames.get(key) ?? key] = renameData(item, responseNames);
  return renamed;
}

/** An error's path under the client's response names. */
export function renamePath(path: readonly (string | number)[], responseNames: ReadonlyMap<string, string>): (string | number)[] {
  return path.map((segment) => (typeof segment === 'string' ? (responseNames.get(segment) ?? segment) : segment));
}
