import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger';
import { sendJson } from '../lib/server/http';

/**
 * Pages a subgraph serves to people (not GraphQL) at the marketplace's public address, so that a
 * link in what the marketplace sends opens on its one host: the router passes them through.
 * Path → the subgraph that serves it, at the same path.
 */
export const SUBGRAPH_PAGES: Readonly<Record<string, string>> = {
  // the test provider's payout onboarding (payments/test-onboarding.ts)
  '/payouts/onboarding': 'payments',
};

/** What a page's answer may carry back: the page and where it sends the browser, nothing of the subgraph's own. */
const PASSED_HEADERS = ['content-type', 'location', 'cache-control', 'allow'];
const PAGE_TIMEOUT_MS = 10_000;

/**
 * Serves SUBGRAPH_PAGES: GET and HEAD only, with the query string and without the caller's
 * credentials (a page authenticates itself, by the token in its link). Returns false for any
 * other path.
 */
export function subgraphPages(subgraphs: readonly { name: string; url: string }[], logger: Logger) {
  const origins = new Map(subgraphs.map(({ name, url }) => [name, new URL(url).origin]));
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    const subgraph = SUBGRAPH_PAGES[path];
    if (!subgraph) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
      return true;
    }
    const origin = origins.get(subgraph);
    const search = new URL(req.url ?? '/', 'http://localhost').search;
    let response: Response;
    try {
      if (!origin) throw new Error(`the supergraph has no ${subgraph} subgraph`);
      response = await fetch(`${origin}${path}${search}`, { method: req.method, redirect: 'manual', signal: AbortSignal.timeout(PAGE_TIMEOUT_MS) });
    } catch (error) {
      logger.warn('a subgraph page could not be reached', { path, subgraph, error });
      sendJson(res, 502, { error: `the ${subgraph} service is unavailable; try again shortly` });
      return true;
    }
    const headers: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    res.writeHead(response.status, headers);
    res.end(Buffer.from(await response.arrayBuffer()));
    return true;
  };
}
