import { ConfigError, optionalString } from '../../lib/config';
import type { Env } from '../../lib/server/subgraph-module';
import { commissionRulesFromEnv, type CommissionRules } from './commission';
import { stripeConfigFromEnv, type StripeConfig } from './stripe-config';

/** Every setting the payments subgraph reads, with its default; read at start, so that a typo stops it. */
export interface PaymentsConfig {
  /** PAYMENT_PROVIDER=stripe: Stripe Connect's settings; null for the built-in test provider (the default). */
  stripe: StripeConfig | null;
  /** The platform's commission: PLATFORM_FEE_BPS, and PLATFORM_FEE_RULES by category. */
  commission: CommissionRules;
}

export function paymentsConfig(env: Env): PaymentsConfig {
  const provider = optionalString('PAYMENT_PROVIDER', env) ?? 'test';
  if (provider !== 'test' && provider !== 'stripe') throw new ConfigError(`PAYMENT_PROVIDER must be test or stripe, got "${provider}"`);
  return {
    stripe: provider === 'stripe' ? stripeConfigFromEnv(env) : null,
    commission: commissionRulesFromEnv(env),
  };
}
