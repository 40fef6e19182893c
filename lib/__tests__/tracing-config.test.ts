import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base';
import { exportersFromEnv } from '../telemetry/tracing';

/** Which exporters the standard OTEL_* variables ask for: none unless asked. */
const kinds = (env: Record<string, string>) => exportersFromEnv(env).map((exporter) => exporter.constructor);

test('tracing is off by default, and when OTEL_SDK_DISABLED says so', () => {
  expect(kinds({})).toEqual([]);
  expect(kinds({ OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
  expect(kinds({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual([]);
});

test('an OTLP endpoint turns it on, over http/protobuf unless the protocol says http/json', () => {
  expect(kinds({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual([OTLPProtobufTraceExporter]);
  expect(kinds({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toEqual([OTLPJsonTraceExporter]);
  expect(kinds({ OTEL_TRACES_EXPORTER: 'otlp,console', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })).toEqual([OTLPJsonTraceExporter, ConsoleSpanExporter]);
});

test('an exporter or protocol it cannot speak is refused at start, not ignored', () => {
  expect(() => exportersFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/zipkin is not supported/);
  expect(() => exportersFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/grpc is not supported/);
});
