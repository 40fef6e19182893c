import { getNamedType, isObjectType, Kind, parse, type GraphQLSchema, type SelectionSetNode } from 'graphql';

/**
 * Whether an entity fetch asks only for fields the subgraphs declared `@public` (composed into the
 * supergraph from their SDL): fields that answer the same whoever asks, so that one request can serve
 * every viewer waiting for the same entities. Anything else (a field without it, a nested selection
 * reaching one, a root field other than `_entities`, a fragment spread) keeps its fetch per viewer.
 * Worked out once per fetch document.
 */
export function publicFetches(supergraphSchema: GraphQLSchema): (fetchDocument: string) => boolean {
  const known = new Map<string, boolean>();
  return (fetchDocument) => {
    let answer = known.get(fetchDocument);
    if (answer === undefined) known.set(fetchDocument, (answer = isPublicEntityFetch(supergraphSchema, fetchDocument)));
    return answer;
  };
}

function isPublicEntityFetch(schema: GraphQLSchema, fetchDocument: string): boolean {
  const document = parse(fetchDocument);
  const [operation, ...others] = document.definitions;
  if (others.length || operation?.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query') return false;
  const [root, ...more] = operation.selectionSet.selections;
  if (more.length || root?.kind !== Kind.FIELD || root.name.value !== '_entities' || !root.selectionSet) return false;
  return root.selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === '__typename';
    if (selection.kind !== Kind.INLINE_FRAGMENT || !selection.typeCondition) return false;
    return isPublicSelection(schema, selection.typeCondition.name.value, selection.selectionSet);
  });
}

function isPublicSelection(schema: GraphQLSchema, typeName: string, selectionSet: SelectionSetNode): boolean {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) return false;
  const fields = type.getFields();
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      return isPublicSelection(schema, selection.typeCondition?.name.value ?? typeName, selection.selectionSet);
    }
    if (selection.kind !== Kind.FIELD) return false;
    if (selection.name.value === '__typename') return true;
    const field = fields[selection.name.value];
    if (!field?.astNode?.directives?.some((directive) => directive.name.value === 'public')) return false;
    return !selection.selectionSet || isPublicSelection(schema, getNamedType(field.type).name, selection.selectionSet);
  });
}
