import CircuitBreaker from 'opossum';
import { signViewer, type Viewer } from '../auth/viewer';
import { AppError, ERROR_CODES, ServiceUnavailable, type ErrorCode } from '../errors';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from '../logger';
import { callInSpan } from '../telemetry/spans';
import { tracerFor } from '../telemetry/tracing';
import { forwardedHeaders } from './access-log';

/** The scope that internal (@inaccessible) fields require; only services hold it. */
export const INTERNAL_SCOPE = 'internal';

export interface CallPolicy {
  /** A call that has not answered by then is abandoned (and counts as a failure). */
  timeoutMs: number;
  /** How long a peer's open circuit stays open before one trial call is let through. */
  resetMs: number;
}

export const DEFAULT_CALL_POLICY: CallPolicy = { timeoutMs: 10_000, resetMs: 10_000 };

type Send = (query: string, variables: Record<string, unknown>) => Promise<unknown>;

/** Not a failure of the peer: it answered, with a client's error (INSUFFICIENT_STOCK, NOT_FOUND, …). */
const isAnswer = (error: unknown) => error instanceof AppError;

/**
 * Calls another subgraph directly, as a service, for the few steps that must answer synchronously
 * (checkout reserves stock and opens a payment while the buyer waits). Requests are signed like the
 * router's, with a service viewer that holds the internal scope. Errors keep their codes, so an
 * INSUFFICIENT_STOCK from listings reaches the buyer as it is.
 *
 * Each peer has a timeout and a circuit breaker (opossum): when half of its recent calls failed (at
 * least five), calls to it fail at once with SERVICE_UNAVAILABLE instead of each waiting out the
 * timeout, until a trial call after `resetMs` succeeds. An unreachable or timed-out peer is
 * SERVICE_UNAVAILABLE too.
 */
export class InternalClient {
  private readonly viewer: Viewer;
  private readonly tracer: Tracer;
  private readonly breakers = new Map<string, CircuitBreaker<[string, Record<string, unknown>], unknown>>();

  constructor(
    caller: string,
    private readonly urlOf: (subgraph: string) => string,
    private readonly secret: string,
    private readonly policy: CallPolicy = DEFAULT_CALL_POLICY,
    private readonly logger?: Logger,
  ) {
    this.viewer = { userId: `service:${caller}`, roles: ['service'], scopes: [INTERNAL_SCOPE] };
    this.tracer = tracerFor(caller);
  }

  async call<TData>(subgraph: string, query: string, variables: Record<string, unknown>): Promise<TData> {
    try {
      return (await this.breakerOf(subgraph).fire(query, variables)) as TData;
    } catch (error) {
      if (isAnswer(error)) throw error;
      // unreachable, too slow, or its circuit open; a peer's own internal error stays opaque
      if (error instanceof PeerFailed) throw error;
      throw new ServiceUnavailable(subgraph);
    }
  }

  /** Whether calls to a peer are being refused without being tried. */
  isOpen(subgraph: string): boolean {
    return this.breakers.get(subgraph)?.opened ?? false;
  }

  close(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }

  private breakerOf(subgraph: string) {
    let breaker = this.breakers.get(subgraph);
    if (!breaker) {
      const send: Send = (query, variables) => this.send(subgraph, query, variables);
      breaker = new CircuitBreaker(send, {
        timeout: false, // the request itself is aborted at timeoutMs (see send), which frees its socket too
        errorThresholdPercentage: 50,
        volumeThreshold: 5,
        resetTimeout: this.policy.resetMs,
        errorFilter: isAnswer,
      });
      breaker.on('open', () => this.logger?.warn('circuit open: calls fail at once for a while', { peer: subgraph }));
      breaker.on('close', () => this.logger?.info('circuit closed: calls go through again', { peer: subgraph }));
      this.breakers.set(subgraph, breaker);
    }
    return breaker;
  }

  private send(subgraph: string, query: string, variables: Record<string, unknown>): Promise<unknown> {
    const url = this.urlOf(subgraph);
    return callInSpan(this.tracer, subgraph, url, () => this.post(subgraph, url, query, variables));
  }

  private async post(subgraph: string, url: string, query: string, variables: Record<string, unknown>): Promise<unknown> {
    const request = JSON.stringify({ query, variables });
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...forwardedHeaders(), ...signViewer(this.viewer, this.secret, request) },
      body: request,
      signal: AbortSignal.timeout(this.policy.timeoutMs),
    });
    const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
    const error = body.errors?.[0];
    if (error) {
      const code = error.extensions?.code;
      if (code && (ERROR_CODES as readonly string[]).includes(code) && code !== 'INTERNAL_SERVER_ERROR') {
        throw new AppError(code as ErrorCode, error.message, error.extensions);
      }
      throw new PeerFailed(`${subgraph} failed: ${error.message}`);
    }
    if (!body.data) throw new PeerFailed(`${subgraph} answered without data (HTTP ${response.status})`);
    return body.data;
  }
}

/** The peer answered, but with its own internal error: it counts against its circuit, and stays opaque to clients. */
class PeerFailed extends Error {}
