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
    // Node's fetch (undici) keeps connections to each subgraph alive and pools them.
    super({ url, fetcher: fetch as unknown as Fetcher });
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
