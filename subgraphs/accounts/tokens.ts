import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, SignJWT, type JWK } from 'jose';
import { claimsFor, TOKEN_AUDIENCE } from '../../lib/auth/claims';
import { keptKey } from '../../lib/auth/dev-keys';
import type { Viewer } from '../../lib/auth/viewer';
import { ConfigError, isProduction } from '../../lib/config';
import type { Env } from '../../lib/server/subgraph-module';
import type { AccountsConfig } from './config';

/** Signs the marketplace's JWTs (ES256) and publishes the public half as a JWKS. */
export class TokenIssuer {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly kid: string,
    readonly jwks: { keys: JWK[] },
    private readonly issuer: string,
    private readonly ttlSeconds: number,
  ) {}

  /** From the accounts settings; `env` says where development keeps the key it generates. */
  static async create(config: Pick<AccountsConfig, 'privateKeyPem' | 'issuer' | 'tokenTtlSeconds'>, env: Env): Promise<TokenIssuer> {
    const pem =
      config.privateKeyPem ??
      (isProduction(env)
        ? undefined
        : keptKey('jwt-es256.pem', () =>
            generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          env));
    if (!pem) throw new ConfigError('JWT_PRIVATE_KEY must be set in production');
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new ConfigError('JWT_PRIVATE_KEY must be an EC P-256 private key (ES256)');
    }
    const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(publicJwk);
    return new TokenIssuer(
      privateKey,
      kid,
      { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] },
      config.issuer,
      config.tokenTtlSeconds,
    );
  }

  sign(viewer: Viewer): Promise<string> {
    return new SignJWT(claimsFor(viewer))
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.privateKey);
  }
}
