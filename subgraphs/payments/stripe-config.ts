import Stripe from 'stripe';
import { ConfigError, integer, optionalString, requiredString } from '../../lib/config';
import type { Env } from '../../lib/server/subgraph-module';

export interface StripeConfig {
  secretKey: string;
  webhookSecret: string;
  /** Another API server (tests' fake, stripe-mock); Stripe's own by default. */
  host?: string;
  port?: number;
  protocol?: Stripe.HttpProtocol;
}

/** PAYMENT_PROVIDER=stripe: both secrets are required, so that a half-configured process stops at start. */
export function stripeConfigFromEnv(env: Env): StripeConfig {
  const secretKey = requiredString('STRIPE_SECRET_KEY', env);
  if (!/^(sk|rk)_/.test(secretKey)) {
    throw new ConfigError('STRIPE_SECRET_KEY must be a secret key (sk_…) or a restricted key (rk_…), never the publishable one (pk_…)');
  }
  const webhookSecret = requiredString('STRIPE_WEBHOOK_SECRET', env);
  if (!webhookSecret.startsWith('whsec_')) {
    throw new ConfigError('STRIPE_WEBHOOK_SECRET must be the signing secret of the webhook endpoint (whsec_…)');
  }
  const config: StripeConfig = { secretKey, webhookSecret };
  const host = optionalString('STRIPE_API_HOST', env);
  if (host) config.host = host;
  if (optionalString('STRIPE_API_PORT', env)) {
    const port = integer('STRIPE_API_PORT', 0, env);
    if (port < 1 || port > 65535) throw new ConfigError(`STRIPE_API_PORT must be a port number, got ${port}`);
    config.port = port;
  }
  const protocol = optionalString('STRIPE_API_PROTOCOL', env);
  if (protocol !== undefined) {
    if (protocol !== 'http' && protocol !== 'https') throw new ConfigError(`STRIPE_API_PROTOCOL must be http or https, got "${protocol}"`);
    config.protocol = protocol;
  }
  return config;
}

export function createStripeClient(config: StripeConfig): Stripe {
  return new Stripe(config.secretKey, {
    // a retry repeats the request's Idempotency-Key, so a retried POST still has the effect of one
    maxNetworkRetries: 2,
    appInfo: { name: 'marketplace-supergraph' },
    ...(config.host ? { host: config.host } : {}),
    ...(config.port ? { port: config.port } : {}),
    ...(config.protocol ? { protocol: config.protocol } : {}),
  });
}
