import { context, SpanKind, trace } from '@opentelemetry/api';
import { continuedFrom, inSpan, traceHeaders } from '../telemetry/spans';
import { tracerFor } from '../telemetry/tracing';
import type { EventBus, EventEnvelope } from './types';

const attributesOf = (event: EventEnvelope) => ({
  'messaging.system': 'marketplace-events',
  'messaging.operation.type': 'process',
  'messaging.message.id': event.id,
  'messaging.destination.name': event.type,
});

/**
 * The PRODUCER span of an event being recorded, a child of the work that records it; returns the
 * trace context the envelope carries, so that its consumers continue the same trace.
 */
export function publishSpan(event: EventEnvelope): Record<string, string> | undefined {
  const span = tracerFor(event.source).startSpan(`publish ${event.type}`, {
    kind: SpanKind.PRODUCER,
    attributes: { ...attributesOf(event), 'messaging.operation.type': 'send' },
  });
  span.end();
  const carried = traceHeaders(trace.setSpan(context.active(), span));
  return Object.keys(carried).length ? carried : undefined;
}

/** A bus whose consumers handle each event in a CONSUMER span continuing the trace the event carries. */
export function traceConsumers(bus: EventBus, service: string): EventBus {
  const tracer = tracerFor(service);
  return {
    publish: (events) => bus.publish(events),
    tail: (handler) => bus.tail(handler),
    backlog: (group) => bus.backlog(group),
    close: () => bus.close(),
    subscribe: (group, handler) =>
      bus.subscribe(group, (event) =>
        inSpan(
          tracer,
          `process ${event.type}`,
          { kind: SpanKind.CONSUMER, parent: continuedFrom(event.trace), attributes: { ...attributesOf(event), 'messaging.consumer.group.name': group } },
          () => handler(event),
        ),
      ),
  };
}
