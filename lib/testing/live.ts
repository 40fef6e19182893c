import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { operation } from '../client/operations';

/** What one subscriber heard: results as they came, the errors it was told of, and whether it ended. */
export interface Feed<T> {
  events: T[];
  errors: { message: string; code?: unknown }[];
  completed: boolean;
  stop(): void;
}

/** A graphql-ws client of the router, as a browser would open one (the token in connectionParams). */
export function routerSocket(routerUrl: string, token?: string): Client {
  return createClient({
    url: routerUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
}

/** Subscribes to a named operation of schema/operations and records what arrives. */
export function follow<T>(client: Client, name: string, variables: Record<string, unknown> = {}): Feed<T> {
  const feed: Feed<T> = { events: [], errors: [], completed: false, stop: () => undefined };
  const heardError = (error: { message?: string; reason?: string; extensions?: Record<string, unknown> }) =>
    feed.errors.push({ message: error.message ?? error.reason ?? String(error), code: error.extensions?.code });
  feed.stop = client.subscribe<T>(
    { query: operation(name), variables },
    {
      next: ({ data, errors }) => {
        if (data) feed.events.push(data);
        errors?.forEach(heardError);
      },
      error: (error) => (Array.isArray(error) ? error : [error as object]).forEach(heardError),
      complete: () => void (feed.completed = true),
    },
  );
  return feed;
}
