import { ConfigError } from '../../../lib/config';
import type { SubgraphDeps } from '../../../lib/server/subgraph-module';
import { stripeConfigFromEnv } from '../stripe-config';
import { paymentsModule } from '../subgraph';

const complete = { STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc' };

describe('stripeConfigFromEnv', () => {
  test('needs both secrets, and nothing else', () => {
    expect(stripeConfigFromEnv(complete)).toEqual({ secretKey: 'sk_test_abc', webhookSecret: 'whsec_abc' });
    expect(() => stripeConfigFromEnv({ STRIPE_WEBHOOK_SECRET: 'whsec_abc' })).toThrow(new ConfigError('STRIPE_SECRET_KEY must be set'));
    expect(() => stripeConfigFromEnv({ STRIPE_SECRET_KEY: 'sk_test_abc' })).toThrow(new ConfigError('STRIPE_WEBHOOK_SECRET must be set'));
    expect(() => stripeConfigFromEnv({ ...complete, STRIPE_WEBHOOK_SECRET: '  ' })).toThrow(/STRIPE_WEBHOOK_SECRET must be set/);
  });

  test('refuses a publishable key and a secret that is not a webhook signing secret', () => {
    expect(() => stripeConfigFromEnv({ ...complete, STRIPE_SECRET_KEY: 'pk_test_abc' })).toThrow(/STRIPE_SECRET_KEY must be a secret key/);
    expect(stripeConfigFromEnv({ ...complete, STRIPE_SECRET_KEY: 'rk_live_abc' }).secretKey).toBe('rk_live_abc');
    expect(() => stripeConfigFromEnv({ ...complete, STRIPE_WEBHOOK_SECRET: 'sk_test_abc' })).toThrow(/STRIPE_WEBHOOK_SECRET must be the signing secret/);
  });

  test('points the client at another server when asked', () => {
    expect(stripeConfigFromEnv({ ...complete, STRIPE_API_HOST: 'localhost', STRIPE_API_PORT: '12111', STRIPE_API_PROTOCOL: 'http' })).toMatchObject({
      host: 'localhost',
      port: 12111,
      protocol: 'http',
    });
    expect(() => stripeConfigFromEnv({ ...complete, STRIPE_API_PORT: 'abc' })).toThrow(/STRIPE_API_PORT must be an integer/);
    expect(() => stripeConfigFromEnv({ ...complete, STRIPE_API_PORT: '70000' })).toThrow(/STRIPE_API_PORT must be a port number/);
    expect(() => stripeConfigFromEnv({ ...complete, STRIPE_API_PROTOCOL: 'ftp' })).toThrow(/STRIPE_API_PROTOCOL must be http or https/);
  });
});

describe('PAYMENT_PROVIDER', () => {
  // create reads configuration before it touches anything else, so no database is needed to see it refuse
  const create = (env: Record<string, string>) => () => paymentsModule().create({ env } as unknown as SubgraphDeps);

  test('stripe without its configuration, or an unknown provider, stops the subgraph at start', () => {
    expect(create({ PAYMENT_PROVIDER: 'stripe' })).toThrow(new ConfigError('STRIPE_SECRET_KEY must be set'));
    expect(create({ PAYMENT_PROVIDER: 'paypal' })).toThrow(/PAYMENT_PROVIDER must be test or stripe, got "paypal"/);
  });
});
