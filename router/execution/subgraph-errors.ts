import { ERRORS, errorCodeDef } from '@apollo/federation-internals';
import type { FetchNode } from '@apollo/query-planner';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
// The gateway's own function, so that errors of entities land on the very paths the gateway gives them.
import { generateHydratedPaths } from '@apollo/gateway/dist/executeQueryPlan';

type Data = Record<string, unknown>;
type Path = (string | number)[];

/** One subgraph's answer to one fetch, as it sent it: data (maybe partial or null) and errors at the subgraph's paths. */
export interface SubgraphAnswer {
  data?: Data | null;
  errors?: readonly GraphQLFormattedError[];
}

/**
 * A subgraph's errors as @apollo/gateway's executeQueryPlan reports them to the client: at the
 * client's path, the subgraph's extensions kept with `serviceName` added, and an error of no code
 * marked DOWNSTREAM_SERVICE_ERROR (which the router's formatError then hides as an internal error).
 *
 * Paths: a root fetch's error path is the subgraph's own path under the fetch's place in the response;
 * an `_entities` fetch's error path `[_entities, i, ...rest]` names the i-th entity at the fetch's
 * plan path in the whole response so far, numbered as the gateway numbers them (nulls left out).
 */
export function locatedErrors(fetch: FetchNode, errors: readonly GraphQLFormattedError[], fetchPath: readonly (string | number)[], fullResult: Data): GraphQLError[] {
  let hydrated: Path[] | undefined;
  const locate = (path: readonly (string | number)[] | undefined): Path | undefined => {
    if (fetch.requires && typeof path?.[1] === 'number') {
      if (!hydrated) generateHydratedPaths([], [...fetchPath], fullResult, (hydrated = []));
      return [...(hydrated[path[1]] ?? []), ...path.slice(2)];
    }
    return path ? [...fetchPath, ...path] : undefined;
  };
  return errors.map((error) => downstreamError(error, fetch.serviceName, locate(error.path)));
}

/** As the gateway's downstreamServiceError makes it. */
function downstreamError(original: GraphQLFormattedError, serviceName: string, path: Path | undefined): GraphQLError {
  const message = original.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = {
    // the subgraph's error as the gateway keeps it, a plain object standing for an Error
    originalError: original as unknown as Error,
    path,
    extensions: { ...original.extensions, serviceName },
  };
  const known = errorCodeDef(original as GraphQLError);
  if (!known && original.extensions?.code) return new GraphQLError(message, options);
  return (known ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}
