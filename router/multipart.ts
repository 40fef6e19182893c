import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, GraphQLError, parse, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { formatErrorForClient } from '../lib/errors';
import { sendJson } from '../lib/server/http';
import { validateWithLimits, type OperationLimits } from './limits';

/**
 * Subscriptions over HTTP with the multipart protocol Apollo Router speaks
 * (`Accept: multipart/mixed;subscriptionSpec="1.0"`), so that clients written for it (Apollo Client's
 * HttpLink) work unchanged: one `{"payload": …}` part per event, `{}` as a heartbeat.
 */
const BOUNDARY = 'graphql';
const HEARTBEAT_MS = 5_000;

export function wantsMultipartSubscription(req: IncomingMessage): boolean {
  return req.method === 'POST' && /multipart\/mixed/i.test(req.headers.accept ?? '') && /subscriptionSpec/i.test(req.headers.accept ?? '');
}

/** The subscription document of a request body, or undefined when the body holds something else. */
export function subscriptionOf(body: unknown, schema: GraphQLSchema, limits: OperationLimits): { document: DocumentNode; variables: Record<string, unknown>; operationName?: string } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { query, variables, operationName } = body as { query?: unknown; variables?: unknown; operationName?: unknown };
  if (typeof query !== 'string') return undefined;
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: limits.maxTokens });
  } catch {
    return undefined;
  }
  const name = typeof operationName === 'string' ? operationName : undefined;
  if (getOperationAST(document, name)?.operation !== 'subscription') return undefined;
  // an invalid or over-limit subscription falls through to Apollo Server, which says why
  if (validateWithLimits(schema, document, limits).length) return undefined;
  return { document, variables: (variables && typeof variables === 'object' ? variables : {}) as Record<string, unknown>, operationName: name };
}

export async function streamMultipart(
  res: ServerResponse,
  source: AsyncIterableIterator<ExecutionResult> | ExecutionResult,
): Promise<void> {
  if (!(Symbol.asyncIterator in source)) {
    return sendJson(res, 200, shape(source));
  }
  res.writeHead(200, {
    'content-type': `multipart/mixed;boundary="${BOUNDARY}";subscriptionSpec="1.0"`,
    'cache-control': 'no-cache',
  });
  // each part is followed by the boundary, so that a client can read it without waiting for the next one
  res.write(`\r\n--${BOUNDARY}`);
  const part = (body: unknown) => res.write(`\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${JSON.stringify(body)}\r\n--${BOUNDARY}`);
  const heartbeat = setInterval(() => part({}), HEARTBEAT_MS);
  // the client went away: release the subscription and everything upstream of it
  res.once('close', () => void source.return?.());
  try {
    part({});
    for await (const result of source) part({ payload: shape(result) });
  } catch (error) {
    part({ payload: null, errors: [formatErrorForClient(new GraphQLError(String(error)).toJSON())] });
  } finally {
    clearInterval(heartbeat);
    if (!res.writableEnded) res.end('--\r\n');
  }
}

function shape(result: ExecutionResult) {
  return { ...(result.data !== undefined ? { data: result.data } : {}), ...(result.errors ? { errors: result.errors.map((e) => formatErrorForClient(e.toJSON())) } : {}) };
}
