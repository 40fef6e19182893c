import type { GraphQLFormattedError } from 'graphql';
import { operation } from './operations';

export interface GraphQLResponse<TData = Record<string, unknown>> {
  status: number;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
}

/** A GraphQL-over-HTTP client as simple as a frontend's: POST JSON, optional bearer token. */
export class GraphQLClient {
  constructor(
    readonly url: string,
    readonly token?: string,
  ) {}

  as(token: string | undefined): GraphQLClient {
    return new GraphQLClient(this.url, token);
  }

  async query<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    /** Extra headers, or headers made from the exact body sent (to sign it, as the router does). */
    extra: Record<string, string> | ((body: string) => Record<string, string>) = {},
  ): Promise<GraphQLResponse<TData>> {
    const body = JSON.stringify({ query, variables });
    const headers = typeof extra === 'function' ? extra(body) : extra;
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body,
    });
    const answer = (await response.json()) as { data?: TData | null; errors?: GraphQLFormattedError[] };
    return { status: response.status, ...answer };
  }

  /** Runs one of the documents under schema/operations by its operation name. */
  op<TData = Record<string, unknown>>(name: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<TData>> {
    return this.query<TData>(operation(name), variables);
  }

  /** Like op, but fails the test with the errors when there are any. */
  async ok<TData = Record<string, unknown>>(name: string, variables?: Record<string, unknown>): Promise<TData> {
    const result = await this.op<TData>(name, variables);
    if (result.errors?.length || !result.data) {
      throw new Error(`${name} failed: ${JSON.stringify(result.errors)}`);
    }
    return result.data;
  }
}

/** The codes of a response's errors, for assertions. */
export const codes = (response: GraphQLResponse<unknown>): unknown[] => (response.errors ?? []).map((e) => e.extensions?.code);
