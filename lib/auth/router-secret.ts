import { randomBytes } from 'node:crypto';
import { ConfigError, isProduction, optionalString } from '../config';
import { keptKey } from './dev-keys';

/** The secret shared by the router and the subgraphs to sign and check the forwarded viewer. */
export function routerSecret(env: Record<string, string | undefined> = process.env): string {
  const configured = optionalString('ROUTER_SECRET', env);
  if (configured) {
    if (configured.length < 32) throw new ConfigError('ROUTER_SECRET must be at least 32 characters');
    return configured;
  }
  if (isProduction(env)) throw new ConfigError('ROUTER_SECRET must be set in production');
  return keptKey('router-secret', () => randomBytes(32).toString('base64url'), env);
}
