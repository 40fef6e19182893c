import { codes, type GraphQLClient, type GraphQLResponse } from '../client/graphql-client';

/** What one actor must get from an operation: data without errors, one error code, or a check of its own. */
export type Expectation = 'ok' | string | ((response: GraphQLResponse) => void);

/**
 * The authorization walk: each operation is tried by every actor named, refusals first and the right party last,
 * so that the right party's call also proves the refusals changed nothing.
 */
export function accessWalk<Actor extends string>(actors: () => Record<Actor, GraphQLClient>) {
  return async function step(operation: string, variables: () => Record<string, unknown>, expectations: Partial<Record<Actor, Expectation>>): Promise<void> {
    const all = actors();
    const sorted = (Object.keys(all) as Actor[])
      .filter((actor) => expectations[actor] !== undefined)
      .sort((a, b) => Number(expectations[a] === 'ok') - Number(expectations[b] === 'ok'));
    for (const actor of sorted) {
      const expected = expectations[actor]!;
      const response = await all[actor].op(operation, variables());
      if (typeof expected === 'function') expected(response);
      else if (expected === 'ok') expect({ actor, errors: response.errors }).toEqual({ actor, errors: undefined });
      else expect({ actor, codes: codes(response) }).toEqual({ actor, codes: [expected] });
    }
  };
}
