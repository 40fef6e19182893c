import type { Server } from 'node:http';
import { GraphQLError, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Viewer } from '../../lib/auth/viewer';
import type { RequestScope } from '../../lib/logger';
import { requestScopeOf, type ClientAddressOf } from '../../lib/server/access-log';
import { MAX_BODY_BYTES } from '../../lib/server/http';
import type { TokenVerifier } from '../auth';
import type { RouterContext } from '../gateway';
import { validateWithLimits, type OperationLimits } from '../limits';
import type { Operation, RequestGate } from '../request-gate';
import type { OpenSource } from './event-source';

export interface WebSocketEndpointOptions {
  /** The API schema subscriptions are validated against. */
  schema: GraphQLSchema;
  tokens: TokenVerifier;
  limits: OperationLimits;
  /** The checks HTTP requests pass, applied to each subscribe too. */
  gate: RequestGate;
  subscribe: OpenSource;
  /** Who a connection's end client is (the socket's peer, or a trusted proxy's word). */
  clientAddress?: ClientAddressOf;
}

/** graphql-ws at `/graphql` on the router's HTTP server: who connects, and which subscriptions may start. */
export function serveWebSocket(server: Server, options: WebSocketEndpointOptions): { close(): Promise<void> } {
  const apiGraphQLSchema = options.schema;
  // a message is one operation: as large as an HTTP body may be, not ws's default of 100 MiB
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: MAX_BODY_BYTES });
  const handle = useServer<Record<string, unknown>, { viewer?: Viewer | null; apiKey?: string; scope?: RequestScope }>(
    {
      schema: apiGraphQLSchema,
      // the token travels in connectionParams.authorization, as browsers cannot set WebSocket headers
      onConnect: async (ctx) => {
        // the upgrade request's `x-request-id` (or a fresh one) tags what this connection's subscriptions log
        ctx.extra.scope = requestScopeOf(ctx.extra.request, options.clientAddress);
        // a partner's key likewise, by the header's name: an unknown or revoked one is refused at once
        const apiKey = ctx.connectionParams?.['x-api-key'];
        if (apiKey !== undefined && (typeof apiKey !== 'string' || !(await options.gate.knows(apiKey)))) return false;
        ctx.extra.apiKey = apiKey;
        // spelled as HTTP spells it too, the way header-minded clients (GraphiQL's toolkit) send it
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        try {
          const session = await options.tokens.sessionOf(typeof authorization === 'string' ? authorization : undefined);
          ctx.extra.viewer = session?.viewer ?? null;
          if (session?.expiresAt !== undefined) {
            // the connection lives as long as its token: the client reconnects with a fresh one
            const timer = setTimeout(() => ctx.extra.socket.close(4401, 'Token expired'), Math.max(0, session.expiresAt - Date.now()));
            timer.unref();
            ctx.extra.socket.once('close', () => clearTimeout(timer));
          }
          return true;
        } catch {
          return false;
        }
      },
      // each subscribe passes the gate HTTP requests pass (rate limit, safelists), then the operation limits
      onSubscribe: async (ctx, _id, payload) => {
        const operation: Operation = { query: payload.query, extensions: payload.extensions ? { ...payload.extensions } : undefined };
        const caller = { apiKey: ctx.extra.apiKey, address: ctx.extra.request.socket.remoteAddress ?? 'unknown', viewer: ctx.extra.viewer ?? null };
        const decision = await options.gate.admitOperations(caller, [operation]);
        if (!decision.admitted) return decision.errors.map((error) => new GraphQLError(error.message, { extensions: error.extensions }));
        let document: DocumentNode;
        try {
          document = parse(String(operation.query), { maxTokens: options.limits.maxTokens });
        } catch (error) {
          return [badDocument(error instanceof GraphQLError ? error.message : 'The subscription does not parse')];
        }
        const errors = validateWithLimits(apiGraphQLSchema, document, options.limits);
        if (errors.length) return errors.map((error) => (error.extensions.code ? error : badDocument(error.message)));
        return { schema: apiGraphQLSchema, document, variableValues: payload.variables, operationName: payload.operationName };
      },
      context: (ctx): RouterContext => ({ viewer: ctx.extra.viewer ?? null, request: ctx.extra.scope }),
      subscribe: options.subscribe,
      execute: () => ({ errors: [new GraphQLError('Only subscriptions run over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_USER_INPUT' } })] }),
    },
    wss,
  );

  return {
    async close() {
      await handle.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

const badDocument = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
