import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { createClient, type Client } from 'graphql-ws';
import { GRAPHQL_URL } from './request';
import type { Session } from './session';

/**
 * The router answers queries and mutations over HTTP and subscriptions over graphql-ws, both on
 * /graphql. Requests carry the token of the sign-in bar, unless the headers editor names an
 * Authorization header of its own: what a developer types there wins. Browsers cannot set headers on a
 * WebSocket, so the same value goes to the socket as `connectionParams.authorization`.
 */
const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;

/** The Authorization value of the editor's headers, if it has one. */
function authorizationOf(headers: Record<string, unknown> | undefined): string | undefined {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string' && value.trim()) return value.trim();
  }
  return undefined;
}

function withoutAuthorization(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'));
}

/**
 * One fetcher per token: a socket authenticates once, when it opens, so a new token needs a new socket
 * for new subscriptions. Each lazy socket opens on its first subscription and closes after its last; one
 * of an older token is left to close by itself (the router closes it when that token expires).
 */
let current: { authorization: string | undefined; fetcher: Fetcher; ws: Client } | undefined;

function fetcherFor(authorization: string | undefined) {
  if (!current || current.authorization !== authorization) {
    const ws = createClient({ url: wsUrl, lazy: true, connectionParams: authorization ? { authorization } : {} });
    current = { authorization, ws, fetcher: createGraphiQLFetcher({ url: GRAPHQL_URL, wsClient: ws }) };
  }
  return current.fetcher;
}

export function sessionFetcher(session: Session): Fetcher {
  return async (params, options) => {
    const authorization = authorizationOf(options?.headers) ?? (await session.authorization());
    const headers = { ...withoutAuthorization(options?.headers), ...(authorization ? { Authorization: authorization } : {}) };
    return fetcherFor(authorization)(params, { ...options, headers });
  };
}
