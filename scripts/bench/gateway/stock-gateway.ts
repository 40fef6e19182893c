import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { signingFetcher } from '../../../router/gateway';
import { prepareForGateway } from '../../../router/supergraph';

/**
 * The reference of `npm run bench:gateway`: the stock `@apollo/server` + `@apollo/gateway`, as their
 * documentation sets them up, on the supergraph at SUPERGRAPH_PATH, listening on PORT. For the
 * marketplace's own subgraphs (SUBGRAPH_URLS, ROUTER_SECRET), which refuse unsigned requests, its
 * data sources sign each request as an anonymous visitor through the documented `fetcher` option,
 * and its supergraph is the one the router gives its gateway (the subgraphs enforce `@authenticated`
 * and `@requiresScopes`, which the stock gateway refuses to load `for: SECURITY`); nothing else differs.
 */
async function main() {
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const urls = process.env.SUBGRAPH_URLS ? (JSON.parse(process.env.SUBGRAPH_URLS) as Record<string, string>) : undefined;
  const secret = process.env.ROUTER_SECRET;
  const gateway = new ApolloGateway({
    supergraphSdl: prepareForGateway(readFileSync(process.env.SUPERGRAPH_PATH!, 'utf8')),
    ...(urls && secret ? { buildService: ({ name }) => new RemoteGraphQLDataSource({ url: urls[name.toLowerCase()], fetcher: signingFetcher(fetch as unknown as Fetcher, secret) }) } : {}),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT), host: '127.0.0.1' } });
  process.stdout.write(JSON.stringify({ url }) + '\n');
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

void main();
