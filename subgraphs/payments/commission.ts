import { ConfigError, integer, optionalString } from '../../lib/config';
import type { Env } from '../../lib/server/subgraph-module';

/**
 * The platform's commission, in basis points (1 bps = 0.01 %): a default rate and per-category rates.
 *
 * Rounding rule: fee = round half up of Σ over the order's categories of (amount × bps / 10000),
 * computed exactly in integers (the sum of amount × bps first, one division at the end). The fee is
 * whole minor units of the order's currency, whatever its number of decimals, and net = total − fee,
 * so net + fee = total exactly, always.
 */
export interface CommissionRules {
  defaultBps: number;
  byCategory: ReadonlyMap<string, number>;
}

export const DEFAULT_FEE_BPS = 1000;
const MAX_BPS = 10_000;

export interface CommissionLine {
  categorySlug: string;
  /** Minor units, a positive integer. */
  amount: number;
}

export function platformFee(lines: readonly CommissionLine[], rules: CommissionRules): number {
  // amount × bps reaches 2^31 × 10^4 per line: BigInt keeps the sum exact however many lines there are
  let numerator = 0n;
  for (const { categorySlug, amount } of lines) {
    numerator += BigInt(amount) * BigInt(rules.byCategory.get(categorySlug) ?? rules.defaultBps);
  }
  return Number((numerator + 5_000n) / 10_000n);
}

/** What the seller keeps of an order and what the platform keeps. */
export function splitOrder(lines: readonly CommissionLine[], rules: CommissionRules): { amount: number; fee: number; net: number } {
  const amount = lines.reduce((sum, line) => sum + line.amount, 0);
  const fee = platformFee(lines, rules);
  return { amount, fee, net: amount - fee };
}

function bps(value: string, where: string): number {
  if (!/^\d+$/.test(value) || Number(value) > MAX_BPS) {
    throw new ConfigError(`${where} must be a whole number of basis points from 0 to ${MAX_BPS}, got "${value}"`);
  }
  return Number(value);
}

/** `electronics=500,books=800`: category slug = basis points, comma separated. */
export function parseFeeRules(raw: string): Map<string, number> {
  const rules = new Map<string, number>();
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([a-z0-9][a-z0-9-]*)\s*=\s*(\S+)$/.exec(part);
    if (!match) throw new ConfigError(`PLATFORM_FEE_RULES: "${part}" is not category=bps (for instance electronics=500)`);
    const [, slug, value] = match;
    if (rules.has(slug)) throw new ConfigError(`PLATFORM_FEE_RULES names ${slug} twice`);
    rules.set(slug, bps(value, `PLATFORM_FEE_RULES ${slug}`));
  }
  return rules;
}

/** Read at start, so that a typo stops the process instead of charging the wrong fee. */
export function commissionRulesFromEnv(env: Env): CommissionRules {
  const defaultBps = integer('PLATFORM_FEE_BPS', DEFAULT_FEE_BPS, env);
  if (defaultBps < 0 || defaultBps > MAX_BPS) throw new ConfigError(`PLATFORM_FEE_BPS must be from 0 to ${MAX_BPS}, got ${defaultBps}`);
  return { defaultBps, byCategory: parseFeeRules(optionalString('PLATFORM_FEE_RULES', env) ?? '') };
}
