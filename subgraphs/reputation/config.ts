import { ConfigError, integer } from '../../lib/config';
import { reputationPriorFromEnv, type ReputationPrior } from '../../lib/reputation-prior';
import type { Env } from '../../lib/server/subgraph-module';

/**
 * The thresholds of the automatic fake-review signals (see signals.ts). Each is a number an operator
 * can tune without a release: a marketplace that sees too many false holds raises them.
 */
export interface SignalConfig {
  /** An account younger than this, when it writes a review, is "new" (REVIEW_NEW_ACCOUNT_HOURS, default 7 days). */
  newAccountMs: number;
  /** SELLER_BURST: this many reviews of one seller by new accounts (REVIEW_SELLER_BURST_COUNT, default 3)… */
  sellerBurstCount: number;
  /** …within this window (REVIEW_SELLER_BURST_WINDOW_MINUTES, default 24 hours). */
  sellerBurstWindowMs: number;
  /** NEW_ACCOUNT_BURST: an account may write this many reviews on its first day (REVIEW_ACCOUNT_BURST_BASE, default 3)… */
  accountBurstBase: number;
  /** …and this many more per day of age (REVIEW_ACCOUNT_BURST_PER_DAY, default 1); one more than allowed fires. */
  accountBurstPerDay: number;
  /** DUPLICATE_TEXT: normalised texts shorter than this are too common to mean anything (REVIEW_DUPLICATE_MIN_LENGTH, default 20). */
  duplicateMinLength: number;
}

/** Every setting the reputation subgraph reads, with its default. */
export interface ReputationConfig {
  /** Where a seller with few reviews starts, and how much evidence moves them (REPUTATION_PRIOR_*). */
  prior: ReputationPrior;
  signals: SignalConfig;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function reputationConfig(env: Env): ReputationConfig {
  const atLeast = (min: number) => (name: string, fallback: number) => {
    const value = integer(name, fallback, env);
    if (value < min) throw new ConfigError(`${name} must be at least ${min}, got ${value}`);
    return value;
  };
  const positive = atLeast(1);
  return {
    prior: reputationPriorFromEnv(env),
    signals: {
      newAccountMs: positive('REVIEW_NEW_ACCOUNT_HOURS', 7 * 24) * HOUR,
      sellerBurstCount: positive('REVIEW_SELLER_BURST_COUNT', 3),
      sellerBurstWindowMs: positive('REVIEW_SELLER_BURST_WINDOW_MINUTES', 24 * 60) * MINUTE,
      accountBurstBase: positive('REVIEW_ACCOUNT_BURST_BASE', 3),
      accountBurstPerDay: atLeast(0)('REVIEW_ACCOUNT_BURST_PER_DAY', 1),
      duplicateMinLength: positive('REVIEW_DUPLICATE_MIN_LENGTH', 20),
    },
  };
}
