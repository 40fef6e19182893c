import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { signViewer, type Viewer } from '../lib/auth/viewer';
import type { Logger } from '../lib/logger';
import { prepareForGateway } from './supergraph';

export interface RouterContext {
  viewer: Viewer | null;
}

/** Signs the verified viewer into every subgraph request; subgraphs refuse requests without it. */
export class SignedDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    url: string,
    private readonly secret: string,
  ) {
    // Node's fetch (undici) keeps connections to each subgraph alive and pools them, but opens one
    // more for every request in flight: bounded, a burst reuses them instead of exhausting sockets.
    super({ url, fetcher: boundedFetch(MAX_REQUESTS_IN_FLIGHT) as unknown as Fetcher });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = signViewer(context?.viewer ?? null, this.secret);
    for (const [name, value] of Object.entries(headers)) request.http?.headers.set(name, value);
  }
}

/**
 * Per subgraph and data source: far above what a subgraph serves at once, but a bound on the sockets
 * a fan-out to thousands of subscribers opens (without one, 10,000 subscribers ran the subgraphs'
 * process out of file descriptors).
 */
const MAX_REQUESTS_IN_FLIGHT = 512;

/** Node's fetch with at most `max` requests in flight; the rest wait their turn, first come first served. */
function boundedFetch(max: number): typeof fetch {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (input, init) => {
    // a freed slot passes straight to the next in line, so that newcomers cannot overtake it
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fetch(input, init);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

export interface GatewayOptions {
  supergraphSdl: string;
  subgraphUrls: Record<string, string>;
  routerSecret: string;
  logger: Logger;
}

export function createGateway(options: GatewayOptions): ApolloGateway {
  // @apollo/gateway reports usage data to Apollo unless told not to, and first probes every cloud's
  // metadata address (169.254.169.254 …) to describe the host: a self-hosted router calls nobody.
  // APOLLO_TELEMETRY_DISABLED=false turns it back on.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  return new ApolloGateway({
    supergraphSdl: prepareForGateway(options.supergraphSdl),
    logger: {
      debug: (m: unknown) => options.logger.debug(String(m)),
      info: (m: unknown) => options.logger.info(String(m)),
      warn: (m: unknown) => options.logger.warn(String(m)),
      error: (m: unknown) => options.logger.error(String(m)),
    },
    buildService: ({ name, url }) =>
      new SignedDataSource(options.subgraphUrls[name.toLowerCase()] ?? url ?? '', options.routerSecret),
  });
}
