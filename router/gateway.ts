import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { encodeViewer, signEncodedViewer, VIEWER_HEADER, type Viewer } from '../lib/auth/viewer';
import { Counter, Histogram, type Registry } from 'prom-client';
import { ServiceUnavailable } from '../lib/errors';
import { LATENCY_BUCKETS } from '../lib/server/metrics';
import type { Logger, RequestScope } from '../lib/logger';
import { forwardedHeaders } from '../lib/server/access-log';
import { callInSpan } from '../lib/telemetry/spans';
import { tracerFor } from '../lib/telemetry/tracing';
import { subgraphFetcher } from './subgraph-fetcher';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { leanGateway } from './execution/lean-gateway';
import type { LoadedSupergraph } from './supergraph';

export interface RouterContext {
  viewer: Viewer | null;
  /** The request a subscription came in on (a WebSocket connection's): its events' log lines carry its id. */
  request?: RequestScope;
}

/**
 * Signs each subgraph request where its body is final: the signature covers the body (see
 * lib/auth/viewer.ts), and the gateway serialises the body after willSendRequest has run.
 */
export function signingFetcher(fetcher: Fetcher, secret: string): Fetcher {
  return (url, init) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const body = typeof init?.body === 'string' ? init.body : '';
    return fetcher(url, { ...init, headers: { ...headers, ...signEncodedViewer(headers[VIEWER_HEADER] ?? '', secret, body) } });
  };
}

/** Subgraph fetches' durations by subgraph and outcome (ok, or failed: unreachable, timed out, not 2xx). */
export function subgraphFetchMetrics(registry: Registry): Histogram<'subgraph' | 'outcome'> {
  return new Histogram({
    name: 'subgraph_fetch_duration_seconds',
    help: 'Time the router waited for a subgraph, by subgraph and outcome',
    labelNames: ['subgraph', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
}

function timedFetcher(fetcher: Fetcher, subgraph: string, histogram: Histogram<'subgraph' | 'outcome'>): Fetcher {
  return async (url, init) => {
    const started = performance.now();
    const observe = (outcome: string) => histogram.observe({ subgraph, outcome }, (performance.now() - started) / 1000);
    try {
      const response = await fetcher(url, init);
      observe(response.ok ? 'ok' : 'failed');
      return response;
    } catch (error) {
      observe('failed');
      throw error;
    }
  };
}

/**
 * Each subgraph fetch is a CLIENT span of the router's trace, and carries that trace (and the
 * request's id) to the subgraph, whose spans become its children.
 */
function tracedFetcher(fetcher: Fetcher, subgraph: string): Fetcher {
  const tracer = tracerFor('router');
  return (url, init) =>
    callInSpan(tracer, subgraph, url, async (span) => {
      const response = await fetcher(url, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), ...forwardedHeaders() } });
      span.setAttribute('http.response.status_code', response.status);
      return response;
    });
}

/** Operations by the executor that answered them: the router's own, or @apollo/gateway's. */
export function executionMetrics(registry: Registry): Counter<'executor'> {
  return new Counter({
    name: 'router_executions_total',
    help: "Operations by the executor that answered them: lean (the router's own) or gateway (introspection, plans the lean executor does not run)",
    labelNames: ['executor'],
    registers: [registry],
  });
}

/** Subgraph reads that waited for an identical one already in flight instead of being sent again. */
export function sharedReadMetrics(registry: Registry): Counter<'subgraph'> {
  return new Counter({
    name: 'router_shared_subgraph_reads_total',
    help: 'Subgraph reads answered by an identical request already in flight (same subgraph, viewer and body), by subgraph',
    labelNames: ['subgraph'],
    registers: [registry],
  });
}

/** How the router sends to one subgraph: signed for the viewer in its headers, traced and timed. */
export function subgraphSender(subgraph: string, fetcher: Fetcher, secret: string, fetches?: Histogram<'subgraph' | 'outcome'>): Fetcher {
  const signed = tracedFetcher(signingFetcher(fetcher, secret), subgraph);
  return fetches ? timedFetcher(signed, subgraph, fetches) : signed;
}

/** Carries the verified viewer into every subgraph request; subgraphs refuse requests the router did not sign. */
export class SignedDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    private readonly serviceName: string,
    url: string,
    secret: string,
    fetcher: Fetcher = subgraphFetcher(),
    private readonly logger?: Logger,
    fetches?: Histogram<'subgraph' | 'outcome'>,
  ) {
    super({ url, fetcher: subgraphSender(serviceName, fetcher, secret, fetches) });
  }

  /**
   * A subgraph that cannot be reached, times out or answers without a GraphQL body leaves its part of
   * the answer null, with an error that names it; the rest of the answer still comes.
   */
  override didEncounterError(error: Error): never {
    this.logger?.warn('subgraph unavailable', { subgraph: this.serviceName, error });
    throw new ServiceUnavailable(this.serviceName);
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    request.http?.headers.set(VIEWER_HEADER, encodeViewer(context?.viewer ?? null));
  }
}

export interface GatewayOptions {
  supergraph: LoadedSupergraph;
  routerSecret: string;
  logger: Logger;
  /** How long a subgraph may take to answer before its part of the answer fails. */
  subgraphTimeoutMs?: number;
  /** Where subgraph fetch durations are observed. */
  fetches?: Histogram<'subgraph' | 'outcome'>;
  /** `lean`: queries and mutations on the router's own executor (router/execution/); `gateway`: everything on @apollo/gateway's. */
  executor?: 'lean' | 'gateway';
  /** Operations by the executor that answered them. */
  executions?: Counter<'executor'>;
  /** Identical reads in flight share one subgraph request (ROUTER_SHARE_READS, on unless false). */
  shareReads?: boolean;
  /** Reads that did. */
  sharedReads?: Counter<'subgraph'>;
}

export function createGateway(options: GatewayOptions): GatewayInterface {
  // @apollo/gateway reports usage data to Apollo unless told not to, and first probes every cloud's
  // metadata address (169.254.169.254 …) to describe the host: a self-hosted router calls nobody.
  // APOLLO_TELEMETRY_DISABLED=false turns it back on.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const fetcher = subgraphFetcher(options.subgraphTimeoutMs);
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraph.sdl,
    logger: {
      debug: (m: unknown) => options.logger.debug(String(m)),
      info: (m: unknown) => options.logger.info(String(m)),
      warn: (m: unknown) => options.logger.warn(String(m)),
      error: (m: unknown) => options.logger.error(String(m)),
    },
    buildService: ({ name }) => new SignedDataSource(name, options.supergraph.urlOf(name), options.routerSecret, fetcher, options.logger, options.fetches),
  });
  if (options.executor === 'gateway') return gateway;
  const senders = new Map<string, Fetcher>();
  const senderOf = (subgraph: string) => {
    let send = senders.get(subgraph);
    if (!send) senders.set(subgraph, (send = subgraphSender(subgraph, fetcher, options.routerSecret, options.fetches)));
    return send;
  };
  return leanGateway(gateway, {
    supergraph: options.supergraph,
    senderOf,
    shareReads: options.shareReads ?? true,
    onShared: (subgraph) => options.sharedReads?.inc({ subgraph }),
    onExecuted: (executor) => options.executions?.inc({ executor }),
    // as SignedDataSource.didEncounterError says it on the gateway's path
    onUnavailable: (subgraph, error) => options.logger.warn('subgraph unavailable', { subgraph, error }),
  });
}
