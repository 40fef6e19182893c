import { ConfigError, integer, optionalString } from '../../lib/config';
import type { Env } from '../../lib/server/subgraph-module';
import { commissionRulesFromEnv, type CommissionRules } from './commission';
import type { ReconciliationSettings } from './reconciliation';
import { stripeConfigFromEnv, type StripeConfig } from './stripe-config';

/** Every setting the payments subgraph reads, with its default; read at start, so that a typo stops it. */
export interface PaymentsConfig {
  /** PAYMENT_PROVIDER=stripe: Stripe Connect's settings; null for the built-in test provider (the default). */
  stripe: StripeConfig | null;
  /** The first commission rules, seeded into the database when it has none: PLATFORM_FEE_BPS, and PLATFORM_FEE_RULES by category. */
  commission: CommissionRules;
  /** RECONCILIATION_WINDOW_DAYS (35) and RECONCILIATION_INTERVAL_MS (an hour; 0: only on demand). */
  reconciliation: ReconciliationSettings;
}

export function paymentsConfig(env: Env): PaymentsConfig {
  const provider = optionalString('PAYMENT_PROVIDER', env) ?? 'test';
  if (provider !== 'test' && provider !== 'stripe') throw new ConfigError(`PAYMENT_PROVIDER must be test or stripe, got "${provider}"`);
  return {
    stripe: provider === 'stripe' ? stripeConfigFromEnv(env) : null,
    commission: commissionRulesFromEnv(env),
    reconciliation: reconciliationFromEnv(env),
  };
}

function reconciliationFromEnv(env: Env): ReconciliationSettings {
  const days = integer('RECONCILIATION_WINDOW_DAYS', 35, env);
  if (days < 1 || days > 365) throw new ConfigError(`RECONCILIATION_WINDOW_DAYS must be from 1 to 365, got ${days}`);
  const intervalMs = integer('RECONCILIATION_INTERVAL_MS', 3_600_000, env);
  if (intervalMs < 0) throw new ConfigError(`RECONCILIATION_INTERVAL_MS must be 0 (only on demand) or more, got ${intervalMs}`);
  return { windowMs: days * 86_400_000, intervalMs };
}
