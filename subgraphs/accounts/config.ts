import { integer, optionalString } from '../../lib/config';
import { DEFAULT_ISSUER } from '../../lib/auth/claims';
import type { Env } from '../../lib/server/subgraph-module';
import { DEFAULT_COST } from './passwords';

/** Every setting the accounts subgraph reads, with its default. */
export interface AccountsConfig {
  /** The ES256 signing key (PKCS#8 PEM); development generates one into DATA_DIR, production requires it. */
  privateKeyPem?: string;
  /** `iss` of the tokens it issues. */
  issuer: string;
  /** Access tokens' lifetime (JWT_TTL_SECONDS, 15 minutes): short, as a refresh token renews them. */
  tokenTtlSeconds: number;
  /** How long a session lasts without being refreshed (REFRESH_TOKEN_TTL_DAYS). */
  refreshTokenTtlDays: number;
  /** The name authenticator apps show beside the account (TOTP_ISSUER). */
  totpIssuer: string;
  /** scrypt's cost, as a power of two (tests lower it to run fast). */
  passwordLogN: number;
}

export function accountsConfig(env: Env): AccountsConfig {
  return {
    privateKeyPem: optionalString('JWT_PRIVATE_KEY', env)?.replace(/\\n/g, '\n'),
    issuer: optionalString('JWT_ISSUER', env) ?? DEFAULT_ISSUER,
    tokenTtlSeconds: integer('JWT_TTL_SECONDS', 15 * 60, env),
    refreshTokenTtlDays: integer('REFRESH_TOKEN_TTL_DAYS', 30, env),
    totpIssuer: optionalString('TOTP_ISSUER', env) ?? 'Marketplace',
    passwordLogN: integer('PASSWORD_SCRYPT_LOG_N', DEFAULT_COST.logN, env),
  };
}
