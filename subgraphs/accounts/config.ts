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
  tokenTtlSeconds: number;
  /** scrypt's cost, as a power of two (tests lower it to run fast). */
  passwordLogN: number;
}

export function accountsConfig(env: Env): AccountsConfig {
  return {
    privateKeyPem: optionalString('JWT_PRIVATE_KEY', env)?.replace(/\\n/g, '\n'),
    issuer: optionalString('JWT_ISSUER', env) ?? DEFAULT_ISSUER,
    tokenTtlSeconds: integer('JWT_TTL_SECONDS', 3600, env),
    passwordLogN: integer('PASSWORD_SCRYPT_LOG_N', DEFAULT_COST.logN, env),
  };
}
