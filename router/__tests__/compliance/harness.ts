import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { GraphQLFormattedError } from 'graphql';
import { createLogger } from '../../../lib/logger';
import { routerConfigFromEnv } from '../../config';
import { startRouter, type RunningRouter } from '../../server';
import { startComplianceSupergraph, type ComplianceSupergraph } from './supergraph';

export interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] } & Record<string, unknown>;
}

export type Executor = 'lean' | 'gateway' | 'none';

/**
 * The stock @apollo/server + @apollo/gateway, set up as their documentation does, and the project's
 * router, on one composed supergraph of the compliance subgraphs.
 */
export interface Gateways {
  supergraph: ComplianceSupergraph;
  stock(query: string, variables?: Record<string, unknown>): Promise<Answer>;
  router(query: string, variables?: Record<string, unknown>): Promise<Answer & { executor: Executor }>;
  stop(): Promise<void>;
}

async function post(url: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

export async function startGateways(): Promise<Gateways> {
  const work = mkdtempSync(join(tmpdir(), 'federation-compliance-'));
  const supergraph = await startComplianceSupergraph();
  const supergraphPath = join(work, 'supergraph.graphql');
  writeFileSync(supergraphPath, supergraph.sdl);
  // stack traces off, as in production (Apollo Server's default depends on NODE_ENV), as the router's are
  const stock = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: supergraph.sdl }), includeStacktraceInErrorResponses: false });
  const stockUrl = (await startStandaloneServer(stock, { listen: { port: 0, host: '127.0.0.1' } })).url;
  const config = routerConfigFromEnv({ SUPERGRAPH_PATH: supergraphPath, ROUTER_SECRET: 'a-router-secret-of-at-least-32-characters', DATA_DIR: work, MAX_COST: '1000000' });
  const router: RunningRouter = await startRouter({ ...config, port: 0, host: '127.0.0.1' }, createLogger({}, { level: 'silent' }));
  const graphqlUrl = new URL('/graphql', router.url).toString();

  // operations counted by the executor that answered them: the difference around one request says which
  const executions = async (): Promise<Record<'lean' | 'gateway', number>> => {
    const text = await (await fetch(new URL('/metrics', router.url))).text();
    const count = (executor: string) => Number(new RegExp(`^router_executions_total\\{executor="${executor}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { lean: count('lean'), gateway: count('gateway') };
  };

  return {
    supergraph,
    stock: (query, variables) => post(stockUrl, query, variables),
    async router(query, variables) {
      const before = await executions();
      const answer = await post(graphqlUrl, query, variables);
      const after = await executions();
      const executor: Executor = after.lean > before.lean ? 'lean' : after.gateway > before.gateway ? 'gateway' : 'none';
      return { ...answer, executor };
    },
    async stop() {
      await router.stop();
      await stock.stop();
      await supergraph.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
