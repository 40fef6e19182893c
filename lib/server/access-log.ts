import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, type Tracer } from '@opentelemetry/api';
import { currentRequest, inRequest, type Logger, type RequestScope } from '../logger';
import { serveInSpan, traceHeaders } from '../telemetry/spans';
import { CLIENT_ADDRESS_HEADER, forwardedClientAddress } from './client-address';
import { headerOf } from './http';

/** A client's own request id is kept when it is a sane token; anything else gets a fresh one. */
const REQUEST_ID = /^[\w.:-]{1,64}$/;
/** Where a server learns the end client's address: a subgraph from the router's header; the router from the socket (client-address.ts). */
export type ClientAddressOf = (req: IncomingMessage) => string | undefined;

/**
 * The id a request's log lines carry: `x-request-id` (the router's, in a subgraph), or a fresh one;
 * and the end client's address, which the audit log records.
 */
export function requestScopeOf(req: IncomingMessage, clientAddressOf: ClientAddressOf = forwardedClientAddress): RequestScope {
  const given = headerOf(req, 'x-request-id');
  const clientAddress = clientAddressOf(req);
  return { requestId: given && REQUEST_ID.test(given) ? given : randomUUID(), ...(clientAddress ? { clientAddress } : {}) };
}

/** What a server passes on to the services it calls: the request's id, the end client's address and the current trace context. */
export function forwardedHeaders(): Record<string, string> {
  const scope = currentRequest();
  return {
    ...(scope ? { 'x-request-id': scope.requestId } : {}),
    ...(scope?.clientAddress ? { [CLIENT_ADDRESS_HEADER]: scope.clientAddress } : {}),
    ...traceHeaders(),
  };
}

/**
 * One access line per request, when its response is finished (or the client went away), with the
 * request's id and the trace it was served in (the response's events run outside that context).
 */
export function logAccess(logger: Logger, req: IncomingMessage, res: ServerResponse, scope: RequestScope, operation: () => string | undefined): void {
  const started = performance.now();
  const served = context.active();
  res.setHeader('x-request-id', scope.requestId);
  res.once('close', () =>
    context.with(served, () =>
      inRequest(scope, () =>
        logger.info('request', {
          method: req.method,
          path: (req.url ?? '/').split('?')[0],
          operation: operation(),
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
        }),
      ),
    ),
  );
}

/** The operation names of a GraphQL request body (a batch's, joined), for the access line. */
export function operationNames(body: unknown): string | undefined {
  const names = (Array.isArray(body) ? body : [body])
    .map((operation) => (operation && typeof operation === 'object' ? (operation as { operationName?: unknown }).operationName : undefined))
    .filter((name): name is string => typeof name === 'string');
  return names.length ? names.join(',') : undefined;
}

export interface ObservedRequest {
  tracer: Tracer;
  logger: Logger;
  /** A GraphQL request gets an access line and a span continuing the caller's trace; probes and scrapes neither. */
  graphql: boolean;
  /** The operation names, once the body has been read. */
  operation: () => string | undefined;
  /** Where the end client's address comes from (default: the router's header, as in a subgraph). */
  clientAddress?: ClientAddressOf;
}

/** Handles one HTTP request with its id in scope (every line logged carries it) and, for GraphQL, its span and access line. */
export function observeRequest(req: IncomingMessage, res: ServerResponse, observed: ObservedRequest, handle: () => Promise<void>): Promise<void> {
  const scope = requestScopeOf(req, observed.clientAddress);
  if (!observed.graphql) return inRequest(scope, handle);
  return serveInSpan(observed.tracer, req, res, () => {
    logAccess(observed.logger, req, res, scope, observed.operation);
    return inRequest(scope, handle);
  });
}
