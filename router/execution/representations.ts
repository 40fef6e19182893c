import type { GraphQLFormattedError } from 'graphql';

/*
 * Entities asked once: an entity fetch sends each distinct representation once, however many places
 * of the answer (or simultaneous subscription events) hold that entity, and gives each place its
 * answer and the errors about it.
 */

/** The distinct representations of several fetches, each asked once, and where each fetch's went. */
export function distinctRepresentations(lists: unknown[][]): { unique: unknown[]; positions: number[][] } {
  const unique: unknown[] = [];
  const indexOf = new Map<string, number>();
  const positions = lists.map((representations) =>
    representations.map((representation) => {
      const id = JSON.stringify(representation);
      let index = indexOf.get(id);
      if (index === undefined) indexOf.set(id, (index = unique.push(representation) - 1));
      return index;
    }),
  );
  return { unique, positions };
}

/** A waiting fetch gets the errors of its own entities, renumbered, and every error without an entity. */
export function errorsFor(errors: readonly GraphQLFormattedError[] | undefined, mine: number[]): GraphQLFormattedError[] | undefined {
  if (!errors) return undefined;
  const kept: GraphQLFormattedError[] = [];
  for (const error of errors) {
    const [root, index, ...rest] = error.path ?? [];
    if (root !== '_entities' || typeof index !== 'number') {
      kept.push(error);
      continue;
    }
    mine.forEach((position, local) => {
      if (position === index) kept.push({ ...error, path: ['_entities', local, ...rest] });
    });
  }
  return kept.length ? kept : undefined;
}
