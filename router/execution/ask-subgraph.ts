import type { Fetcher } from '@apollo/utils.fetcher';
import { VIEWER_HEADER } from '../../lib/auth/viewer';
import { ServiceUnavailable } from '../../lib/errors';
import type { SubgraphAnswer } from './subgraph-errors';

/** How the router's executors reach subgraphs: queries, mutations and subscription events alike. */
export interface SubgraphClient {
  /** The router's composed client to one subgraph (signing, tracing and timing included). */
  senderOf(subgraph: string): Fetcher;
  urlOf(subgraph: string): string;
  /** Told of each subgraph that could not be reached or gave no GraphQL answer (its part of the answer fails). */
  onUnavailable?(subgraph: string, error: Error): void;
}

/**
 * One request to a subgraph as `viewer` (encoded: lib/auth/viewer.ts), answered with its GraphQL body.
 * As the router's data sources (SignedDataSource) answer: a subgraph not reached, or answering without
 * a 2xx JSON object, fails its part of the answer as SERVICE_UNAVAILABLE, and the reason is told.
 */
export async function askSubgraph(client: SubgraphClient, subgraph: string, body: string, viewer: string): Promise<SubgraphAnswer> {
  const unavailable = (error: Error) => {
    client.onUnavailable?.(subgraph, error);
    return new ServiceUnavailable(subgraph);
  };
  let status: number;
  let text: string;
  try {
    const response = await client.senderOf(subgraph)(client.urlOf(subgraph), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [VIEWER_HEADER]: viewer },
      body,
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    throw unavailable(error as Error);
  }
  if (status < 200 || status >= 300) throw unavailable(new Error(`${subgraph} answered ${status}`));
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch (error) {
    throw unavailable(error as Error);
  }
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) throw unavailable(new Error(`${subgraph} answered no JSON object`));
  return answer as SubgraphAnswer;
}
