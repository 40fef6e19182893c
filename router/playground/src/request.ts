/**
 * The page's own GraphQL requests (signing in and out, renewing the token, looking up demo ids): plain
 * POSTs to the router, apart from GraphiQL's editors, so that they never show in its response pane.
 */
export const GRAPHQL_URL = `${location.origin}/graphql`;

export interface GraphQLErrorLike {
  message: string;
  extensions?: Record<string, unknown>;
}

/** The router answered with errors (and no usable data). */
export class GraphQLRequestError extends Error {
  constructor(readonly errors: GraphQLErrorLike[]) {
    super(errors.map((e) => e.message).join('; ') || 'The request failed');
  }

  get code(): unknown {
    return this.errors[0]?.extensions?.code;
  }

  /** Whether any error carries `extensions[name] === true`. */
  flag(name: string): boolean {
    return this.errors.some((e) => e.extensions?.[name] === true);
  }
}

/** The router could not be reached, or answered with something that is not GraphQL. */
export class RouterUnreachableError extends Error {}

export async function graphqlRequest<T>(
  operationName: string,
  query: string,
  variables: Record<string, unknown> = {},
  authorization?: string,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_URL, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify({ operationName, query, variables }),
    });
  } catch (error) {
    throw new RouterUnreachableError(`Could not reach the router (${String(error)})`);
  }
  let body: { data?: T | null; errors?: GraphQLErrorLike[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new RouterUnreachableError(`The router answered ${response.status} without a GraphQL result`);
  }
  if (body.errors?.length) throw new GraphQLRequestError(body.errors);
  if (!body.data) throw new GraphQLRequestError([{ message: `The router answered ${response.status} with no data` }]);
  return body.data;
}
