import { signViewer, type Viewer } from '../auth/viewer';
import { currentRequest } from '../logger';
import { forwardedHeaders } from './access-log';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors';

/** The scope that internal (@inaccessible) fields require; only services hold it. */
export const INTERNAL_SCOPE = 'internal';

/**
 * Calls another subgraph directly, as a service, for the few steps that must answer synchronously
 * (checkout reserves stock and opens a payment while the buyer waits). Requests are signed like the
 * router's, with a service viewer that holds the internal scope. Errors keep their codes, so an
 * INSUFFICIENT_STOCK from listings reaches the buyer as it is.
 */
export class InternalClient {
  private readonly viewer: Viewer;

  constructor(
    caller: string,
    private readonly urlOf: (subgraph: string) => string,
    private readonly secret: string,
  ) {
    this.viewer = { userId: `service:${caller}`, roles: ['service'], scopes: [INTERNAL_SCOPE] };
  }

  async call<TData>(subgraph: string, query: string, variables: Record<string, unknown>): Promise<TData> {
    const request = JSON.stringify({ query, variables });
    const response = await fetch(this.urlOf(subgraph), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...forwardedHeaders(currentRequest()), ...signViewer(this.viewer, this.secret, request) },
      body: request,
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { data?: TData; errors?: { message: string; extensions?: { code?: string } }[] };
    const error = body.errors?.[0];
    if (error) {
      const code = error.extensions?.code;
      if (code && (ERROR_CODES as readonly string[]).includes(code) && code !== 'INTERNAL_SERVER_ERROR') {
        throw new AppError(code as ErrorCode, error.message, error.extensions);
      }
      throw new Error(`${subgraph} failed: ${error.message}`);
    }
    if (!body.data) throw new Error(`${subgraph} answered without data (HTTP ${response.status})`);
    return body.data;
  }
}
