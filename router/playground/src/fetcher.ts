import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { createClient, type Client } from 'graphql-ws';

/**
 * The router answers queries and mutations over HTTP and subscriptions over graphql-ws, both on
 * /graphql. Browsers cannot set headers on a WebSocket, so the Authorization header of the headers
 * editor goes to HTTP requests as a header and to the socket as `connectionParams.authorization`.
 */
const httpUrl = `${location.origin}/graphql`;
const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;

/** The Authorization value of the editor's headers, unless it is still the placeholder hint. */
export function authorizationOf(headers: Record<string, unknown> | undefined): string | undefined {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'authorization' || typeof value !== 'string') continue;
    const trimmed = value.trim();
    // "Bearer <token from logIn or signUp>" is a hint, not a token: the router would refuse it
    return trimmed && !trimmed.includes('<') ? trimmed : undefined;
  }
  return undefined;
}

function withoutAuthorization(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'));
}

/** One fetcher per token: its lazy socket opens on the first subscription and closes after the last. */
let current: { authorization: string | undefined; fetcher: Fetcher; ws: Client } | undefined;

function fetcherFor(authorization: string | undefined) {
  if (!current || current.authorization !== authorization) {
    // a socket of the previous token is left to close by itself once its subscriptions end
    const ws = createClient({ url: wsUrl, lazy: true, connectionParams: authorization ? { authorization } : {} });
    current = { authorization, ws, fetcher: createGraphiQLFetcher({ url: httpUrl, wsClient: ws }) };
  }
  return current.fetcher;
}

export const fetcher: Fetcher = (params, options) => {
  const authorization = authorizationOf(options?.headers);
  const headers = { ...withoutAuthorization(options?.headers), ...(authorization ? { Authorization: authorization } : {}) };
  return fetcherFor(authorization)(params, { ...options, headers });
};
