import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { graphql, parse, type GraphQLSchema } from 'graphql';

/** The federation directives every compliance subgraph may import. */
export const FEDERATION =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides", "@shareable", "@interfaceObject"])';

export interface ServedSubgraph {
  name: string;
  url: string;
  server: Server;
  /** The type definitions it composes with (its `_service { sdl }`). */
  sdl: string;
  close(): Promise<void>;
}

/**
 * Serves a subgraph schema over real HTTP on a free port, executing every request (no answers kept
 * from memory as the benchmark's subgraphs do: mutations and errors must run each time).
 */
export async function serveSubgraph(name: string, schema: GraphQLSchema): Promise<ServedSubgraph> {
  const sdl = await graphql({ schema, source: '{ _service { sdl } }' });
  const server = createServer();
  const served: ServedSubgraph = {
    name,
    url: '',
    server,
    sdl: (sdl.data as { _service: { sdl: string } })._service.sdl,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // the gateways keep connections alive: closing them is what makes the port refuse at once
        server.closeAllConnections();
      }),
  };
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        query: string;
        variables?: Record<string, unknown>;
        operationName?: string;
      };
      const answer = Buffer.from(JSON.stringify(await graphql({ schema, source: query, variableValues: variables, operationName })));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  served.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return served;
}

export const typeDefs = (sdl: string) => parse(`${FEDERATION}\n${sdl}`);
