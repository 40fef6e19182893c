import { GraphQLError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { CONNECTION_REQUEST, signViewer } from '../../lib/auth/viewer';
import { formatErrorForClient } from '../../lib/errors';
import type { ReconnectPolicy } from '../config';

/** The router's connections to subgraphs for subscriptions: one multiplexed graphql-ws connection per subgraph. */
export class Upstreams {
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly urlOf: (subgraph: string) => string,
    private readonly secret: string,
    private readonly reconnect: ReconnectPolicy,
  ) {}

  /** Lazy: the connection opens with its first subscription and closes once its last one ends. */
  of(subgraph: string): Client {
    let client = this.clients.get(subgraph);
    if (!client) this.clients.set(subgraph, (client = subgraphClient(this.urlOf(subgraph), this.secret, this.reconnect)));
    return client;
  }

  /** A connection that gave up reconnecting is done: the next subscription starts afresh. */
  forget(subgraph: string, client: Client): void {
    if (this.clients.get(subgraph) !== client) return;
    this.clients.delete(subgraph);
    void release(client);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.clients.values()].map(release));
    this.clients.clear();
  }
}

/**
 * One multiplexed graphql-ws connection to a subgraph. When the subgraph goes away (a restart, a
 * deploy) the client reconnects and sends every open subscription again; when it does not come back
 * within the policy, each subscription fails and the router ends its subscribers with an error.
 */
function subgraphClient(httpUrl: string, secret: string, reconnect: ReconnectPolicy): Client {
  // a connection whose peer vanished without closing it (a host lost, a network cut) would stay
  // silent forever: ping it, and cut it when nothing at all comes back in time
  let pongWait: NodeJS.Timeout | undefined;
  let ponged = false;
  const client: Client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    // the router itself, signed when the connection opens, so that a reconnect carries a fresh signature
    connectionParams: () => signViewer(null, secret, CONNECTION_REQUEST),
    lazy: true,
    retryAttempts: reconnect.attempts,
    // a refused connection (the subgraph is restarting) is worth retrying too, not only a closed one;
    // closes that no retry mends (bad auth, bad protocol) still end at once
    shouldRetry: () => true,
    retryWait: (retries) => {
      const delay = Math.min(10_000, reconnect.delayMs * 2 ** retries);
      return new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    },
    keepAlive: KEEP_ALIVE_MS,
    on: {
      ping: (received) => {
        if (received) return;
        ponged = false;
        // the timer runs before the loop reads sockets: a router busy past the timeout would cut a
        // live connection whose pong is waiting to be read (and reconnect every subscription on it)
        pongWait = setTimeout(() => setImmediate(() => ponged || client.terminate()), PONG_TIMEOUT_MS);
      },
      // any message proves the peer alive: a subgraph busy sending events may answer pings late
      message: () => {
        ponged = true;
        clearTimeout(pongWait);
      },
      closed: () => clearTimeout(pongWait),
    },
  });
  return client;
}

const KEEP_ALIVE_MS = 10_000;
const PONG_TIMEOUT_MS = 20_000;

/** Closes a connection; one caught between two reconnect attempts rejects with why it stopped, which is no news here. */
async function release(client: Client): Promise<void> {
  await Promise.resolve(client.dispose()).catch(() => undefined);
}

/** What subscribers hear when their upstream subscription failed, or its connection could not be opened again. */
export function upstreamErrors(error: unknown): GraphQLError[] {
  if (Array.isArray(error)) {
    return error.map((e: { message?: string; extensions?: Record<string, unknown> }) => {
      const shaped = formatErrorForClient({ message: e.message ?? 'Subscription failed', extensions: e.extensions });
      return new GraphQLError(shaped.message, { extensions: shaped.extensions });
    });
  }
  // the connection closed and could not be opened again
  return [new GraphQLError('The subscription ended: the service behind it is unavailable; subscribe again later', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
}
