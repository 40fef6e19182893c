import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Whether the field being resolved selects any of these subfields (through fragments too). A resolver
 * asks it to fold work a subfield would need into the statement it runs anyway, rather than run it
 * again when the subfield resolves. Directives (@skip, @include) are not evaluated: a skipped field
 * counts as selected, which costs only the folded work.
 */
export function selectsAnyOf(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, names: readonly string[]): boolean {
  const visit = (set: SelectionSetNode | undefined, seen: Set<string>): boolean =>
    Boolean(
      set?.selections.some((selection) => {
        if (selection.kind === Kind.FIELD) return names.includes(selection.name.value);
        if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet, seen);
        const name = selection.name.value;
        if (seen.has(name)) return false;
        seen.add(name);
        return visit(info.fragments[name]?.selectionSet, seen);
      }),
    );
  return info.fieldNodes.some((node) => visit(node.selectionSet, new Set()));
}
