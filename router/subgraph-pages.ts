import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger';
import { forwardedHeaders } from '../lib/server/access-log';
import { sendJson } from '../lib/server/http';

/**
 * Pages a subgraph serves to people (not GraphQL) at the marketplace's public address, so that a
 * link in what the marketplace sends opens on its one host: the router passes them through.
 * Path → the subgraph that serves it, at the same path.
 */
export const SUBGRAPH_PAGES: Readonly<Record<string, { subgraph: string; post?: true }>> = {
  // the test provider's payout onboarding (payments/test-onboarding.ts)
  '/payouts/onboarding': { subgraph: 'payments' },
  // the links of accounts' emails: a page with a button or a form, which posts the change
  '/account/verify-email': { subgraph: 'accounts', post: true },
  '/account/reset-password': { subgraph: 'accounts', post: true },
  // unsubscribe links in emails: a page, and the one-click POST mail clients send (RFC 8058)
  '/notifications/unsubscribe': { subgraph: 'notifications', post: true },
};

/** A form's body at most: a page takes a few fields, never an upload. */
const MAX_FORM_BYTES = 16 * 1024;

/** What a page's answer may carry back: the page and where it sends the browser, nothing of the subgraph's own. */
const PASSED_HEADERS = ['content-type', 'location', 'cache-control', 'allow'];
const PAGE_TIMEOUT_MS = 10_000;

/**
 * Serves SUBGRAPH_PAGES: GET and HEAD (and POST, with its form, where the page takes one), with the
 * query string and without the caller's credentials (a page authenticates itself, by the token in
 * its link). Returns false for any other path.
 */
export function subgraphPages(subgraphs: readonly { name: string; url: string }[], logger: Logger) {
  const origins = new Map(subgraphs.map(({ name, url }) => [name, new URL(url).origin]));
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    const page = SUBGRAPH_PAGES[path];
    if (!page) return false;
    const subgraph = page.subgraph;
    const allowed = page.post ? ['GET', 'HEAD', 'POST'] : ['GET', 'HEAD'];
    if (!allowed.includes(req.method ?? '')) {
      sendJson(res, 405, { error: 'method not allowed' }, { allow: allowed.join(', ') });
      return true;
    }
    let body: Buffer | undefined;
    if (req.method === 'POST') {
      body = await readForm(req);
      if (!body) {
        sendJson(res, 413, { error: 'form too large' });
        return true;
      }
    }
    const origin = origins.get(subgraph);
    const search = new URL(req.url ?? '/', 'http://localhost').search;
    let response: Response;
    try {
      if (!origin) throw new Error(`the supergraph has no ${subgraph} subgraph`);
      response = await fetch(`${origin}${path}${search}`, {
        method: req.method,
        redirect: 'manual',
        signal: AbortSignal.timeout(PAGE_TIMEOUT_MS),
        // the request's id and the end client's address go along: a password reset from the page is audited with them
        headers: { ...forwardedHeaders(), ...(body ? { 'content-type': String(req.headers['content-type'] ?? 'application/x-www-form-urlencoded') } : {}) },
        ...(body ? { body } : {}),
      });
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

/** A posted form, or undefined if it is larger than a form can be. */
async function readForm(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
