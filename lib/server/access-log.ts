import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inRequest, type Logger, type RequestScope } from '../logger';
import { headerOf } from './http';

/** A client's own request id is kept when it is a sane token; anything else gets a fresh one. */
const REQUEST_ID = /^[\w.:-]{1,64}$/;
/** W3C trace context: version, 32 hex trace id, 16 hex parent id, flags. */
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** The ids a request's log lines carry: `x-request-id` (the router's, in a subgraph) and the trace of its `traceparent`. */
export function requestScopeOf(req: IncomingMessage): RequestScope {
  const given = headerOf(req, 'x-request-id');
  const traceparent = headerOf(req, 'traceparent');
  const trace = traceparent ? TRACEPARENT.exec(traceparent) : null;
  return {
    requestId: given && REQUEST_ID.test(given) ? given : randomUUID(),
    traceId: trace?.[1],
    traceparent: trace ? traceparent : undefined,
  };
}

/** What a server passes on to the services it calls for this request. */
export function forwardedHeaders(scope: RequestScope | undefined): Record<string, string> {
  if (!scope) return {};
  return { 'x-request-id': scope.requestId, ...(scope.traceparent ? { traceparent: scope.traceparent } : {}) };
}

/** One access line per request, when its response is finished (or the client went away). */
export function logAccess(logger: Logger, req: IncomingMessage, res: ServerResponse, scope: RequestScope, operation: () => string | undefined): void {
  const started = performance.now();
  res.setHeader('x-request-id', scope.requestId);
  res.once('close', () =>
    inRequest(scope, () =>
      logger.info('request', {
        method: req.method,
        path: (req.url ?? '/').split('?')[0],
        operation: operation(),
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
      }),
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
