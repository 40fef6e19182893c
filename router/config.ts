import { join } from 'node:path';
import { routerSecret } from '../lib/auth/router-secret';
import { boolean, ConfigError, dataDir, integer, isProduction, optionalString } from '../lib/config';
import { ROOT } from '../schema/subgraphs';
import { DEFAULT_LIMITS, type OperationLimits } from './limits';
import type { Quota } from './rate-limit';

export interface TokenSource {
  /** Where the issuer publishes its signing keys. */
  jwksUrl: string;
  issuer: string;
  audience?: string;
}

export interface RouterConfig {
  port: number;
  host: string;
  supergraphPath: string;
  /** Subgraph name → URL, overriding the routing URLs written in the supergraph. */
  subgraphUrls: Record<string, string>;
  routerSecret: string;
  tokenSources: TokenSource[];
  introspection: boolean;
  /** GraphiQL for browsers at GET /graphql (it needs introspection to show the schema). */
  playground: boolean;
  /** How the router re-opens a subscription whose subgraph went away, before it gives up with an error. */
  subscriptionReconnect?: ReconnectPolicy;
  /** Redis for the APQ cache, rate limits and partners, shared by every router; in-process without it. */
  redisUrl?: string;
  /** Names this marketplace's keys in Redis. */
  redisPrefix?: string;
  /** Where partners are kept without Redis. */
  partnersFile?: string;
  limits?: OperationLimits;
  quotas?: { partner: Quota; user: Quota; anonymous: Quota };
  /** Only operations of the first-party manifest (or a partner's), by id: no free-form queries at all. */
  requirePersistedQueries?: boolean;
  /** The router's own clients' operations (`schema/manifests/first-party.json`). */
  firstPartyManifestPath?: string;
  /** How long a subgraph may take to answer before its part of the answer fails with SERVICE_UNAVAILABLE. */
  subgraphTimeoutMs?: number;
  /** Which executor runs queries and mutations: the router's own (`lean`) or @apollo/gateway's for everything (`gateway`). */
  executor?: 'lean' | 'gateway';
  /**
   * ROUTER_SHARE_READS (on unless false): a query's subgraph read identical to one in flight (same
   * subgraph, viewer and body) waits for that one's answer instead of being sent again.
   */
  shareReads?: boolean;
  /**
   * TRUST_PROXY=true when the router sits behind a proxy or load balancer that appends the client's
   * address to X-Forwarded-For: the last address of that header is the end client's (what the audit log
   * records and subgraphs receive as x-client-address). Off by default: the socket's peer is the client,
   * and a client's own X-Forwarded-For is ignored (anyone can write one).
   */
  trustProxy?: boolean;
}

export const FIRST_PARTY_MANIFEST = join(ROOT, 'schema', 'manifests', 'first-party.json');

export const DEFAULT_QUOTAS = { partner: { perMinute: 1200 }, user: { perMinute: 600 }, anonymous: { perMinute: 300 } };

export interface ReconnectPolicy {
  attempts: number;
  /** The first wait; each next one doubles, up to 10 s, with jitter so that routers do not reconnect in step. */
  delayMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { attempts: 8, delayMs: 500 };

type Env = Record<string, string | undefined>;

/** SUBGRAPH_URL_<NAME>=http://… overrides one subgraph's routing URL; the name is upper-cased. */
function subgraphUrls(env: Env): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^SUBGRAPH_URL_(.+)$/.exec(key);
    if (match && value) urls[match[1].toLowerCase()] = value;
  }
  return urls;
}

function tokenSources(env: Env): TokenSource[] {
  const sources: TokenSource[] = [];
  const jwksUrl = optionalString('JWT_JWKS_URL', env);
  if (jwksUrl) {
    sources.push({ jwksUrl, issuer: optionalString('JWT_ISSUER', env) ?? 'marketplace-accounts', audience: 'marketplace' });
  }
  const oidcIssuer = optionalString('OIDC_ISSUER', env);
  if (oidcIssuer) {
    sources.push({
      issuer: oidcIssuer,
      jwksUrl: optionalString('OIDC_JWKS_URL', env) ?? new URL('.well-known/jwks.json', oidcIssuer.replace(/\/?$/, '/')).toString(),
      audience: optionalString('OIDC_AUDIENCE', env),
    });
  }
  return sources;
}

/** Where routers keep what they share (the partner CLI reads the same). */
export function sharedStateFromEnv(env: Env = process.env): Pick<RouterConfig, 'redisUrl' | 'redisPrefix' | 'partnersFile'> {
  return {
    redisUrl: optionalString('REDIS_URL', env),
    redisPrefix: optionalString('REDIS_PREFIX', env) ?? 'marketplace',
    partnersFile: optionalString('PARTNERS_FILE', env) ?? join(dataDir(env), 'partners.json'),
  };
}

export function routerConfigFromEnv(env: Env = process.env): RouterConfig {
  return {
    port: integer('PORT', 4000, env),
    host: optionalString('HOST', env) ?? '0.0.0.0',
    supergraphPath: optionalString('SUPERGRAPH_PATH', env) ?? join(ROOT, 'schema', 'supergraph.graphql'),
    subgraphUrls: subgraphUrls(env),
    routerSecret: routerSecret(env),
    tokenSources: tokenSources(env),
    introspection: boolean('INTROSPECTION', !isProduction(env), env),
    playground: boolean('PLAYGROUND', !isProduction(env), env),
    subscriptionReconnect: {
      attempts: integer('SUBSCRIPTION_RECONNECT_ATTEMPTS', DEFAULT_RECONNECT.attempts, env),
      delayMs: integer('SUBSCRIPTION_RECONNECT_DELAY_MS', DEFAULT_RECONNECT.delayMs, env),
    },
    ...sharedStateFromEnv(env),
    limits: {
      maxDepth: integer('MAX_DEPTH', DEFAULT_LIMITS.maxDepth, env),
      maxAliases: integer('MAX_ALIASES', DEFAULT_LIMITS.maxAliases, env),
      maxDirectives: integer('MAX_DIRECTIVES', DEFAULT_LIMITS.maxDirectives, env),
      maxCost: integer('MAX_COST', DEFAULT_LIMITS.maxCost, env),
      maxTokens: integer('MAX_TOKENS', DEFAULT_LIMITS.maxTokens, env),
      maxBatch: integer('MAX_BATCH', DEFAULT_LIMITS.maxBatch, env),
    },
    quotas: {
      partner: { perMinute: integer('RATE_LIMIT_PARTNER_PER_MINUTE', DEFAULT_QUOTAS.partner.perMinute, env) },
      user: { perMinute: integer('RATE_LIMIT_USER_PER_MINUTE', DEFAULT_QUOTAS.user.perMinute, env) },
      anonymous: { perMinute: integer('RATE_LIMIT_ANONYMOUS_PER_MINUTE', DEFAULT_QUOTAS.anonymous.perMinute, env) },
    },
    requirePersistedQueries: boolean('REQUIRE_PERSISTED_QUERIES', false, env),
    firstPartyManifestPath: optionalString('FIRST_PARTY_MANIFEST', env) ?? FIRST_PARTY_MANIFEST,
    subgraphTimeoutMs: integer('SUBGRAPH_TIMEOUT_MS', 10_000, env),
    executor: executorFromEnv(env),
    shareReads: boolean('ROUTER_SHARE_READS', true, env),
    trustProxy: boolean('TRUST_PROXY', false, env),
  };
}

function executorFromEnv(env: Env): 'lean' | 'gateway' {
  const value = env.ROUTER_EXECUTOR ?? 'lean';
  if (value !== 'lean' && value !== 'gateway') throw new ConfigError(`ROUTER_EXECUTOR must be lean or gateway, got "${value}"`);
  return value;
}
