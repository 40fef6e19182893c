import type { Registry } from 'prom-client';
import type { RouteHandler } from './subgraph-server';

/** Serves a prom-client registry in Prometheus's text format, for scraping. */
export function metricsRoute(registry: Registry): RouteHandler {
  return async (_req, res) => {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(body);
  };
}
