import { context, propagation, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * Traces with the OpenTelemetry Node SDK, set by the standard `OTEL_*` variables and off unless an
 * exporter is named (`OTEL_TRACES_EXPORTER`) or an OTLP endpoint given. Off, the W3C trace context
 * still travels: a client's `traceparent` reaches every subgraph and event, and log lines carry it.
 *
 * Spans are made by the project's own servers, clients, SQL and event code rather than by the SDK's
 * auto-instrumentation: `npm start` hosts the router and every subgraph in one process, and require
 * hooks patch a module once per process, so they could not say which service a span belongs to.
 * Each service gets a tracer provider of its own, with its name as `service.name`.
 */
export type Env = Record<string, string | undefined>;

let propagationInstalled = false;
let processor: SpanProcessor | undefined;
const providers = new Map<string, NodeTracerProvider>();

/** Context follows async work and `traceparent` is read and written: whether spans are recorded or not. */
export function installPropagation(): void {
  if (propagationInstalled) return;
  propagationInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

const listOf = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);

/** The exporters the standard variables ask for; none means tracing stays off. */
export function exportersFromEnv(env: Env): SpanExporter[] {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return [];
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const named = listOf(env.OTEL_TRACES_EXPORTER);
  const exporters = named.length ? named : endpoint ? ['otlp'] : [];
  return exporters.flatMap((name): SpanExporter[] => {
    if (name === 'console') return [new ConsoleSpanExporter()];
    if (name === 'none') return [];
    if (name !== 'otlp') throw new Error(`OTEL_TRACES_EXPORTER=${name} is not supported: use otlp, console or none`);
    const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
    if (protocol !== 'http/json' && protocol !== 'http/protobuf') throw new Error(`OTLP protocol ${protocol} is not supported: use http/protobuf or http/json`);
    const url =
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` : undefined);
    // headers, timeouts and compression the exporters read from the same variables themselves
    return [protocol === 'http/json' ? new OTLPJsonTraceExporter({ url }) : new OTLPProtobufTraceExporter({ url })];
  });
}

export interface Tracing {
  /** Sends what is buffered and stops; spans ended afterwards are dropped. */
  shutdown(): Promise<void>;
  /** Sends what is buffered now. */
  flush(): Promise<void>;
}

/**
 * Starts recording spans when the environment asks for it (or with the exporter given), batched as
 * `OTEL_BSP_*` says, sampled as `OTEL_TRACES_SAMPLER` says, with `OTEL_RESOURCE_ATTRIBUTES` on every
 * service: those, and the exporters' headers and timeouts, the SDK reads from the process's
 * environment itself. Returns undefined when tracing stays off. A process starts it once, first.
 */
export function startTracing(env: Env = process.env, exporter?: SpanExporter): Tracing | undefined {
  installPropagation();
  const exporters = exporter ? [exporter] : exportersFromEnv(env);
  if (exporters.length === 0 || processor) return undefined;
  const processors = exporters.map((each) => new BatchSpanProcessor(each));
  const shared: SpanProcessor = {
    onStart: (span, parent) => processors.forEach((p) => p.onStart(span, parent)),
    onEnd: (span) => processors.forEach((p) => p.onEnd(span)),
    forceFlush: async () => void (await Promise.all(processors.map((p) => p.forceFlush()))),
    shutdown: async () => void (await Promise.all(processors.map((p) => p.shutdown()))),
  };
  processor = shared;
  return {
    flush: () => shared.forceFlush(),
    async shutdown() {
      await shared.shutdown();
      processor = undefined;
      providers.clear();
    },
  };
}

function providerFor(service: string): TracerProvider | undefined {
  if (!processor) return undefined;
  let provider = providers.get(service);
  if (!provider) {
    // OTEL_RESOURCE_ATTRIBUTES adds to every service's resource; the name is always the service's own
    const resource = detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes({ 'service.name': service }));
    provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
    providers.set(service, provider);
  }
  return provider;
}

/** The tracer of one service: recording when tracing is on, passing context through when off. */
export function tracerFor(service: string): Tracer {
  return providerFor(service)?.getTracer(service) ?? trace.getTracer(service);
}

/**
 * Libraries that trace through the global provider (@apollo/gateway's planning and execution spans)
 * record as this service. The first service to ask gets it: the router, the one that embeds them.
 */
export function lendGlobalTracer(service: string): void {
  const provider = providerFor(service);
  if (provider) trace.setGlobalTracerProvider(provider);
}
