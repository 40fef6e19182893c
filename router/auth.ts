import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { viewerFromClaims } from '../lib/auth/claims';
import type { Viewer } from '../lib/auth/viewer';
import type { TokenSource } from './config';

/** Signing algorithms accepted from any issuer: asymmetric only, so a leaked verifier cannot mint tokens. */
const ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'];

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export interface Session {
  viewer: Viewer;
  /** Epoch milliseconds; undefined for a token without `exp`. */
  expiresAt?: number;
}

/**
 * Verifies bearer tokens against every configured issuer (the marketplace's accounts subgraph and an
 * optional external OIDC provider). Keys are fetched from each JWKS and cached by jose.
 */
export class TokenVerifier {
  private readonly sources: { source: TokenSource; keys: JWTVerifyGetKey }[];

  constructor(sources: TokenSource[]) {
    this.sources = sources.map((source) => ({
      source,
      keys: createRemoteJWKSet(new URL(source.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 }),
    }));
  }

  /** The viewer of a request: null without a token; UNAUTHENTICATED for a token that does not verify. */
  async viewerOf(authorization: string | undefined): Promise<Viewer | null> {
    return (await this.sessionOf(authorization))?.viewer ?? null;
  }

  /** The viewer and when their token expires: long-lived connections end then. */
  async sessionOf(authorization: string | undefined): Promise<Session | null> {
    if (!authorization) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('Authorization must be "Bearer <token>"');
    return this.verify(match[1]);
  }

  async verify(token: string): Promise<Session> {
    let issuer: string | undefined;
    try {
      issuer = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).iss;
    } catch {
      throw unauthenticated('The token is not a JWT');
    }
    const match = this.sources.find(({ source }) => source.issuer === issuer);
    if (!match) throw unauthenticated('The token was issued by an unknown issuer');
    try {
      const { payload } = await jwtVerify(token, match.keys, {
        issuer: match.source.issuer,
        audience: match.source.audience,
        algorithms: ALGORITHMS,
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthenticated('The token names no subject');
      return { viewer: viewerFromClaims(payload), expiresAt: payload.exp === undefined ? undefined : payload.exp * 1000 };
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      if (error instanceof errors.JWTExpired) throw unauthenticated('The token has expired');
      throw unauthenticated('The token is not valid');
    }
  }
}
