import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The one fixed set of codes a client may see in `extensions.code`. */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'INSUFFICIENT_STOCK',
  'PAYMENT_DECLINED',
  'RATE_LIMITED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_IN_LIST',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN = new Set<string>(ERROR_CODES);

/**
 * Apollo's own codes for documents that do not parse, validate or coerce are client mistakes;
 * they are folded into BAD_USER_INPUT so that clients handle one set of codes.
 */
const CLIENT_MISTAKES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

/**
 * A service this answer needs could not be reached (down, too slow, or its circuit open): the rest of
 * the answer may still come; trying again later may work. `extensions.service` names it.
 */
export class ServiceUnavailable extends AppError {
  constructor(readonly service: string) {
    super('SERVICE_UNAVAILABLE', `The ${service} service is unavailable; try again shortly`, { service });
  }
}

export const unauthenticated = (message = 'You must be signed in to do this') =>
  new AppError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this') => new AppError('FORBIDDEN', message);
export const badInput = (message: string, field?: string) =>
  new AppError('BAD_USER_INPUT', message, field ? { field } : {});
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string) => new AppError('CONFLICT', message);

/**
 * Shapes an error for a client: a known code passes with its message; anything else becomes an
 * opaque INTERNAL_SERVER_ERROR so that stack traces, SQL and hostnames never leave the server.
 */
export function formatErrorForClient(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const rawCode = formatted.extensions?.code;
  const code = typeof rawCode === 'string' ? rawCode : undefined;
  if (code && KNOWN.has(code) && code !== 'INTERNAL_SERVER_ERROR') {
    return { ...formatted, extensions: publicExtensions(formatted.extensions, code as ErrorCode) };
  }
  if (code && CLIENT_MISTAKES.has(code)) {
    return { ...formatted, extensions: publicExtensions(formatted.extensions, 'BAD_USER_INPUT') };
  }
  return {
    message: 'Internal server error',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** Keeps the extensions a client may rely on (field, retryAfter, …), never stack traces or upstream details. */
function publicExtensions(
  extensions: GraphQLFormattedError['extensions'],
  code: ErrorCode,
): Record<string, unknown> {
  const kept: Record<string, unknown> = { code };
  for (const [key, value] of Object.entries(extensions ?? {})) {
    if (key === 'code' || key === 'stacktrace' || key === 'exception' || key === 'serviceName') continue;
    kept[key] = value;
  }
  return kept;
}
