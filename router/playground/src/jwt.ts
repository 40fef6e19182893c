/**
 * When an access token stops working, read from its own payload: the client never verifies a token
 * (the router does), it only needs `exp` and `iat` to renew the token in time.
 */
export interface TokenTimes {
  /** Milliseconds since the epoch. */
  expiresAt: number;
  issuedAt?: number;
}

export function tokenTimes(token: string): TokenTimes | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const claims = JSON.parse(atob(base64)) as { exp?: unknown; iat?: unknown };
    if (typeof claims.exp !== 'number') return undefined;
    return { expiresAt: claims.exp * 1000, issuedAt: typeof claims.iat === 'number' ? claims.iat * 1000 : undefined };
  } catch {
    return undefined;
  }
}
