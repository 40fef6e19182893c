import { join } from 'node:path';
import { routerSecret } from '../lib/auth/router-secret';
import { boolean, integer, isProduction, optionalString } from '../lib/config';
import { ROOT } from '../schema/subgraphs';

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
}

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

export function routerConfigFromEnv(env: Env = process.env): RouterConfig {
  return {
    port: integer('PORT', 4000, env),
    host: optionalString('HOST', env) ?? '0.0.0.0',
    supergraphPath: optionalString('SUPERGRAPH_PATH', env) ?? join(ROOT, 'schema', 'supergraph.graphql'),
    subgraphUrls: subgraphUrls(env),
    routerSecret: routerSecret(env),
    tokenSources: tokenSources(env),
    introspection: boolean('INTROSPECTION', !isProduction(env), env),
  };
}
