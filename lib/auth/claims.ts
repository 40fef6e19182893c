import type { JWTPayload } from 'jose';
import type { Viewer } from './viewer';

/** The audience every marketplace token is issued for. */
export const TOKEN_AUDIENCE = 'marketplace';
export const DEFAULT_ISSUER = 'marketplace-accounts';

/** What the accounts subgraph writes into a token, beyond the registered claims. */
export interface MarketplaceClaims extends JWTPayload {
  sub: string;
  roles: string[];
  /** Space-separated, as OAuth 2 writes scopes. */
  scope: string;
  seller?: { id: string; currency: string };
  /** The session (accounts' sessions table) the token belongs to. */
  sid?: string;
  /** Authentication methods (RFC 8176): `otp` when the user gave a one-time code. */
  amr?: string[];
}

export function claimsFor(viewer: Viewer): MarketplaceClaims {
  return {
    sub: viewer.userId,
    roles: viewer.roles,
    scope: viewer.scopes.join(' '),
    ...(viewer.seller ? { seller: viewer.seller } : {}),
    ...(viewer.sessionId ? { sid: viewer.sessionId } : {}),
    amr: viewer.twoFactor ? ['pwd', 'otp'] : ['pwd'],
  };
}

/**
 * Reads a verified token's claims. Tokens of an external OIDC issuer carry no marketplace roles:
 * their scopes still apply and their subject becomes the user id.
 */
export function viewerFromClaims(payload: JWTPayload): Viewer {
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  const seller = payload.seller as { id?: unknown; currency?: unknown } | undefined;
  return {
    userId: String(payload.sub),
    roles,
    scopes,
    ...(seller && typeof seller.id === 'string' && typeof seller.currency === 'string'
      ? { seller: { id: seller.id, currency: seller.currency } }
      : {}),
    ...(typeof payload.sid === 'string' ? { sessionId: payload.sid } : {}),
    ...(Array.isArray(payload.amr) && payload.amr.includes('otp') ? { twoFactor: true } : {}),
  };
}
