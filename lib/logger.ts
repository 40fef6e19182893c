import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import { currentTraceIds } from './telemetry/spans';

/**
 * Structured logs with pino: one JSON object per line on stderr, so that operators can ship them as
 * they are. Every line written while a request is handled carries its request id (and trace id),
 * whichever module writes it; credentials and card data are redacted wherever they appear in the
 * fields logged. LOG_LEVEL=silent is what tests use to keep their output readable.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** What every log line of one request carries, set by the server that received it. */
export interface RequestScope {
  requestId: string;
  /** The end client's address, as the router saw it (the audit log records it). */
  clientAddress?: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

/** Runs `work` as part of a request: log lines written within it, however deep, carry its ids. */
export const inRequest = <T>(request: RequestScope, work: () => T): T => scope.run(request, work);
export const currentRequest = (): RequestScope | undefined => scope.getStore();

/**
 * Fields whose values never reach a log: tokens and passwords, API keys and the router's signature,
 * card data. pino redacts by path, so each name is listed at the top and two levels down (an error's
 * request headers, a GraphQL input's fields).
 */
const SECRET_FIELDS = ['authorization', 'cookie', 'password', 'token', 'accessToken', 'refreshToken', 'apiKey', 'x-api-key', 'x-viewer-signature', 'secret', 'card', 'cardNumber', 'cvc'];
const REDACTED_PATHS = SECRET_FIELDS.flatMap((field) =>
  /^[A-Za-z_$][\w$]*$/.test(field) ? [field, `*.${field}`, `*.*.${field}`] : [`["${field}"]`, `*["${field}"]`, `*.*["${field}"]`],
);

const LEVELS = new Set(['debug', 'info', 'warn', 'error', 'silent']);

function levelFromEnv(): string {
  const level = process.env.LOG_LEVEL ?? 'info';
  return LEVELS.has(level) ? level : 'info';
}

function wrap(log: Pino): Logger {
  return {
    debug: (msg, fields) => log.debug(fields ?? {}, msg),
    info: (msg, fields) => log.info(fields ?? {}, msg),
    warn: (msg, fields) => log.warn(fields ?? {}, msg),
    error: (msg, fields) => log.error(fields ?? {}, msg),
    child: (bindings) => wrap(log.child(bindings)),
  };
}

export interface LoggerOptions {
  /** Where lines go: stderr unless given (tests read them from a stream). */
  destination?: DestinationStream;
  level?: string;
}

export function createLogger(bindings: Record<string, unknown> = {}, options: LoggerOptions = {}): Logger {
  const log = pino(
    {
      level: options.level ?? levelFromEnv(),
      base: bindings,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { error: pino.stdSerializers.err },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // the trace comes from OpenTelemetry's context: the client's `traceparent`, a span of ours, or an event's
      mixin: () => ({ requestId: scope.getStore()?.requestId, ...currentTraceIds() }),
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
  return wrap(log);
}

export const logger = createLogger();
