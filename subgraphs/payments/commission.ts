import { ConfigError, integer, optionalString } from '../../lib/config';
import type { Env } from '../../lib/server/subgraph-module';

/**
 * The platform's commission, in basis points (1 bps = 0.01 %): a default rate, per-category rates, and
 * per-currency volume tiers by the seller's completed sales over the 30 days before the order.
 *
 * A line's rate: its category's rate where one is set, else the seller's tier, else the default.
 * Rounding rule: fee = round half up of Σ over the order's items of (amount × rate / 10000), computed
 * exactly in integers (the sum of amount × rate first, one division at the end). Commission is on
 * items only: shipping goes to the seller whole. The fee is whole minor units of the order's currency,
 * whatever its number of decimals, and net = total − fee, so net + fee = total exactly, always.
 */
export interface CommissionRules {
  defaultBps: number;
  byCategory: ReadonlyMap<string, number>;
  /** Per currency, fromAmount ascending from 0 (minor units of sales). */
  tiers: readonly CommissionTier[];
  /** Orders created from then on get these rules. */
  effectiveFrom: Date;
}

/** The rules as the API shows them (a name apart from the generated type of the same name). */
export type CommissionRulesView = CommissionRules;

/** A category of listings', known here by its slug. */
export interface CategoryRef {
  slug: string;
}

export interface CommissionTier {
  currency: string;
  fromAmount: number;
  rateBps: number;
}

/** The rate a seller with `sales` (minor units of `currency`) pays outside categories with their own. */
export function baseRate(rules: CommissionRules, currency: string, sales: number): number {
  let rate = rules.defaultBps;
  for (const tier of rules.tiers) {
    if (tier.currency === currency && tier.fromAmount <= sales) rate = tier.rateBps; // ascending: the last that fits
  }
  return rate;
}

/** Whether any tier applies to the currency: only then are a seller's sales worth counting. */
export const hasTiers = (rules: CommissionRules, currency: string) => rules.tiers.some((t) => t.currency === currency);

export const DEFAULT_FEE_BPS = 1000;
const MAX_BPS = 10_000;

export interface CommissionLine {
  categorySlug: string;
  /** Minor units, a positive integer. */
  amount: number;
}

/** `base`: the seller's rate outside categories with their own (baseRate); the default without one. */
export function platformFee(lines: readonly CommissionLine[], rules: CommissionRules, base = rules.defaultBps): number {
  // amount × bps reaches 2^31 × 10^4 per line: BigInt keeps the sum exact however many lines there are
  let numerator = 0n;
  for (const { categorySlug, amount } of lines) {
    numerator += BigInt(amount) * BigInt(rules.byCategory.get(categorySlug) ?? base);
  }
  return Number((numerator + 5_000n) / 10_000n);
}

/**
 * What the seller keeps of an order's items and what the platform keeps, and the order's rate: the
 * one rate of its items, or, when its items fall under different rates, their rate weighted by
 * amount, rounded half up (the fee is still summed line by line).
 */
export function splitOrder(
  lines: readonly CommissionLine[],
  rules: CommissionRules,
  base = rules.defaultBps,
): { amount: number; fee: number; net: number; rateBps: number } {
  const amount = lines.reduce((sum, line) => sum + line.amount, 0);
  const fee = platformFee(lines, rules, base);
  const rates = new Set(lines.map((line) => rules.byCategory.get(line.categorySlug) ?? base));
  const weighted = lines.reduce((sum, line) => sum + BigInt(line.amount) * BigInt(rules.byCategory.get(line.categorySlug) ?? base), 0n);
  const rateBps = rates.size === 1 ? [...rates][0] : Number((2n * weighted + BigInt(amount)) / (2n * BigInt(amount)));
  return { amount, fee, net: amount - fee, rateBps };
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

/** Orders before any rule set an operator made: the first rules, from the environment. */
export const SEED_EFFECTIVE_FROM = new Date(0);

/**
 * The first rules, seeded into the database when it has none (commission-rules.ts); operators
 * change them from then on. Read at start, so that a typo stops the process instead of charging
 * the wrong fee.
 */
export function commissionRulesFromEnv(env: Env): CommissionRules {
  const defaultBps = integer('PLATFORM_FEE_BPS', DEFAULT_FEE_BPS, env);
  if (defaultBps < 0 || defaultBps > MAX_BPS) throw new ConfigError(`PLATFORM_FEE_BPS must be from 0 to ${MAX_BPS}, got ${defaultBps}`);
  return { defaultBps, byCategory: parseFeeRules(optionalString('PLATFORM_FEE_RULES', env) ?? ''), tiers: [], effectiveFrom: SEED_EFFECTIVE_FROM };
}
