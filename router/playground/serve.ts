import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { ROOT } from '../../schema/subgraphs';

/** Where `npm run build:playground` writes the bundled GraphiQL (Vite, `base: '/playground/'`). */
export const PLAYGROUND_DIR = join(ROOT, 'router', 'playground', 'dist');
/** Assets are served under this path; the page itself at GET /graphql. */
export const ASSETS_PATH = '/playground/';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
};

/** A browser asking for a page, not a GraphQL client asking for a result (GraphQL over HTTP: a GET with no query). */
export function wantsPlayground(req: IncomingMessage, path: string): boolean {
  if (req.method !== 'GET' || path !== '/graphql') return false;
  const search = new URL(req.url ?? '/', 'http://localhost').searchParams;
  return !search.has('query') && !search.has('extensions') && /text\/html/i.test(req.headers.accept ?? '');
}

/**
 * GraphiQL, bundled at build time and served from local files: it works with no internet. Answers
 * the page and its assets; returns false for any other request.
 */
export function servePlayground(req: IncomingMessage, res: ServerResponse, path: string, dir = PLAYGROUND_DIR): boolean {
  if (wantsPlayground(req, path)) {
    const index = join(dir, 'index.html');
    if (!existsSync(index)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The playground is not built: run `npm run build:playground`.\n');
      return true;
    }
    sendFile(res, index, { 'cache-control': 'no-cache' });
    return true;
  }
  if ((req.method === 'GET' || req.method === 'HEAD') && path.startsWith(ASSETS_PATH)) {
    const file = normalize(join(dir, decodeURIComponent(path.slice(ASSETS_PATH.length))));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return true;
    }
    // Vite names assets by content hash: they never change under the same name
    sendFile(res, file, { 'cache-control': /\/assets\//.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache' });
    return true;
  }
  return false;
}

function sendFile(res: ServerResponse, file: string, headers: Record<string, string>) {
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': String(statSync(file).size),
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  createReadStream(file).pipe(res);
}
