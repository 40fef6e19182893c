import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { signViewer, type Viewer } from '../lib/auth/viewer';
import type { Logger } from '../lib/logger';
import { subgraphFetcher } from './subgraph-fetcher';
import { prepareForGateway } from './supergraph';

export interface RouterContext {
  viewer: Viewer | null;
}

/** Signs the verified viewer into every subgraph request; subgraphs refuse requests without it. */
export class SignedDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    url: string,
    private readonly secret: string,
    fetcher: Fetcher = subgraphFetcher(),
  ) {
    super({ url, fetcher });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = signViewer(context?.viewer ?? null, this.secret);
    for (const [name, value] of Object.entries(headers)) request.http?.headers.set(name, value);
  }
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
  const fetcher = subgraphFetcher();
  return new ApolloGateway({
    supergraphSdl: prepareForGateway(options.supergraphSdl),
    logger: {
      debug: (m: unknown) => options.logger.debug(String(m)),
      info: (m: unknown) => options.logger.info(String(m)),
      warn: (m: unknown) => options.logger.warn(String(m)),
      error: (m: unknown) => options.logger.error(String(m)),
    },
    buildService: ({ name, url }) =>
      new SignedDataSource(options.subgraphUrls[name.toLowerCase()] ?? url ?? '', options.routerSecret, fetcher),
  });
}
