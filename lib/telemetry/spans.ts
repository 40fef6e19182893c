import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';

/** The trace and span ids of the work running now, when it belongs to a trace. */
export function currentTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpanContext(context.active());
  return span && trace.isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : undefined;
}

/** Headers (`traceparent`, `tracestate`) that continue the current trace in the service called. */
export function traceHeaders(from: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  return carrier;
}

/** The context a `traceparent` (in headers, or kept with an event) continues; a fresh one without. */
export function continuedFrom(carrier: Record<string, string | string[] | undefined> | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent; the current context without one. */
  parent?: Context;
}

/** Runs `work` inside a new span (current while it runs), ended when it settles, failures recorded. */
export function inSpan<T>(tracer: Tracer, name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        failed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The CLIENT span of one call to another service, described alike wherever such a call is made. */
export function callInSpan<T>(tracer: Tracer, service: string, url: string, work: (span: Span) => Promise<T>): Promise<T> {
  const attributes = { 'http.request.method': 'POST', 'url.full': url, 'peer.service': service };
  return inSpan(tracer, `POST ${service}`, { kind: SpanKind.CLIENT, attributes }, work);
}

/**
 * The SERVER span of one HTTP request, continuing the caller's trace: current while the request is
 * handled, ended when its response is done (or the client went away), with the status it got.
 */
export function serveInSpan<T>(tracer: Tracer, req: IncomingMessage, res: ServerResponse, work: (span: Span) => T): T {
  const path = (req.url ?? '/').split('?')[0];
  const parent = continuedFrom(req.headers);
  const span = tracer.startSpan(
    `${req.method ?? 'GET'} ${path}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': path } },
    parent,
  );
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return context.with(trace.setSpan(parent, span), () => work(span));
}

/** Names a GraphQL request's span after its operation (`mutation Checkout`), as the conventions ask. */
export function nameOperationSpan(span: Span, operation: { type?: string; name?: string } | undefined): void {
  if (!operation?.type) return;
  span.updateName(operation.name ? `${operation.type} ${operation.name}` : operation.type);
  span.setAttribute('graphql.operation.type', operation.type);
  if (operation.name) span.setAttribute('graphql.operation.name', operation.name);
}

/** Work that must not join the trace of whoever woke it (a relay run serving many requests). */
export const detached = <T>(work: () => T): T => context.with(ROOT_CONTEXT, work);
