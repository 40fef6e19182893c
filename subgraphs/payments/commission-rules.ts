import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { recordAudit } from '../../lib/audit/record';
import { requireOperator } from '../../lib/auth/operators';
import { badInput, conflict } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { isCurrency, type Money } from '../../lib/money';
import { integerInRange, requiredText } from '../../lib/validation';
import { baseRate, hasTiers, type CommissionRules, type CommissionTier } from './commission';
import type { CommissionRulesInput } from './generated/resolvers-types';

/** A seller's commission now, as Seller.commission shows it. */
export interface SellerCommissionView {
  rateBps: number;
  salesLast30Days: Money;
}

/** The contract's bounds: an operator may set 0 to 50 %. */
const MAX_RATE_BPS = 5000;
const MAX_CATEGORIES = 100;
const MAX_TIERS_PER_CURRENCY = 20;
const MAX_AMOUNT = 2 ** 31 - 1;
/** effectiveFrom a little in the past is now (clocks differ); further back would rewrite history. */
const CLOCK_SKEW_MS = 60_000;
const MAX_AHEAD_MS = 366 * 86_400_000;
const SALES_WINDOW_MS = 30 * 86_400_000;
const SLUG = /^[a-z0-9][a-z0-9-]*$/;

/**
 * The platform's commission rules, kept in the database and versioned by effectiveFrom: a rule set
 * is never changed once in force; setting new rules adds a set that applies to orders created from
 * its effectiveFrom on, so every order keeps the rate it was created with. The first set is seeded
 * from PLATFORM_FEE_BPS and PLATFORM_FEE_RULES when the database has none.
 */
export class CommissionRuleBook {
  constructor(
    private readonly db: DataSource,
    private readonly seedRules: CommissionRules,
    /** Of these category slugs, the ones the catalogue does not have (listings owns categories). */
    private readonly unknownCategories: (slugs: string[]) => Promise<string[]>,
    private readonly logger: Logger,
    /** Wakes the outbox once a change committed (its audit entry leaves at once). */
    private readonly afterCommit: () => void = () => undefined,
  ) {}

  /** Seeds the environment's rules as the first set, once: instances starting together insert one. */
  async seed(): Promise<void> {
    const seeded = await this.db.transaction(async (m) => {
      const [{ n }]: { n: number }[] = await m.query(`SELECT count(*)::int AS n FROM commission_rule_sets`);
      if (n > 0) return false;
      return this.insert(m, this.seedRules, 'environment');
    });
    if (seeded) this.logger.info('commission rules seeded from the environment', { defaultBps: this.seedRules.defaultBps });
  }

  /** The rules in force at `at` (orders created then get them). */
  async inForce(at: Date = new Date(), within?: EntityManager): Promise<CommissionRules> {
    const read = async (m: EntityManager) => {
      const [set]: { id: string; effective_from: Date; default_rate_bps: number }[] = await m.query(
        `SELECT id, effective_from, default_rate_bps FROM commission_rule_sets WHERE effective_from <= $1 ORDER BY effective_from DESC LIMIT 1`,
        [at],
      );
      if (!set) return this.seedRules;
      const categories: { category_slug: string; rate_bps: number }[] = await m.query(
        `SELECT category_slug, rate_bps FROM commission_category_rates WHERE rule_set_id = $1 ORDER BY category_slug`,
        [set.id],
      );
      const tiers: { currency: string; from_amount: number; rate_bps: number }[] = await m.query(
        `SELECT currency, from_amount, rate_bps FROM commission_tiers WHERE rule_set_id = $1 ORDER BY currency, from_amount`,
        [set.id],
      );
      return {
        defaultBps: set.default_rate_bps,
        byCategory: new Map(categories.map((c) => [c.category_slug, c.rate_bps])),
        tiers: tiers.map((t) => ({ currency: t.currency, fromAmount: t.from_amount, rateBps: t.rate_bps })),
        effectiveFrom: set.effective_from,
      };
    };
    return within ? read(within) : this.db.transaction(read);
  }

  /**
   * What counts for a volume tier: the items (not shipping) of the seller's orders completed (released
   * from escrow) in the 30 days before `at`, in `currency`, less what was refunded of them.
   */
  async salesOf(sellerId: string, currency: string, at: Date = new Date(), within?: EntityManager): Promise<number> {
    const read = async (m: EntityManager) => {
      const [{ total }]: { total: string }[] = await m.query(
        `SELECT coalesce(sum(greatest(amount - shipping - refunded_amount, 0)), 0)::text AS total FROM payment_orders
         WHERE seller_id = $1 AND currency = $2 AND released_at > $3 AND released_at <= $4`,
        [sellerId, currency, new Date(at.getTime() - SALES_WINDOW_MS), at],
      );
      return Number(total);
    };
    return within ? read(within) : this.db.transaction(read);
  }

  /** What a new order of the seller's would be charged outside categories with their own rate. */
  async commissionOf(sellerId: string, currency: string): Promise<SellerCommissionView> {
    const now = new Date();
    const rules = await this.inForce(now);
    const sales = await this.salesOf(sellerId, currency, now);
    return { rateBps: baseRate(rules, currency, sales), salesLast30Days: { amount: sales, currency } };
  }

  /** The rate outside categories for each seller of an order being created now, their sales counted only where tiers apply. */
  async baseRates(m: EntityManager, rules: CommissionRules, currency: string, sellerIds: readonly string[], at: Date): Promise<Map<string, number>> {
    const rates = new Map<string, number>();
    for (const sellerId of new Set(sellerIds)) {
      const sales = hasTiers(rules, currency) ? await this.salesOf(sellerId, currency, at, m) : 0;
      rates.set(sellerId, baseRate(rules, currency, sales));
    }
    return rates;
  }

  /** setCommissionRules: operators only; replaces the whole rule set from effectiveFrom (default now) on. */
  async set(viewer: Viewer, input: CommissionRulesInput): Promise<CommissionRules> {
    requireOperator(viewer);
    const rules = await this.checked(input);
    const set = await this.db.transaction(async (m) => {
      // a set not yet in force may be replaced by one with the same start; one in force never
      await m.query(`DELETE FROM commission_rule_sets WHERE effective_from = $1 AND effective_from > now()`, [rules.effectiveFrom]);
      const inserted = await this.insert(m, rules, viewer.userId);
      if (!inserted) throw conflict('Rules already start at that moment and are in force; choose another effectiveFrom');
      await recordAudit(m, 'payments', {
        action: 'commission.changed',
        actorId: viewer.userId,
        targetType: 'commission_rules',
        targetId: inserted,
        details: {
          effectiveFrom: rules.effectiveFrom.toISOString(),
          defaultRateBps: rules.defaultBps,
          categories: Object.fromEntries(rules.byCategory),
          tiers: rules.tiers.map((tier) => ({ ...tier })),
        },
      });
      this.logger.info('commission rules set', { by: viewer.userId, effectiveFrom: rules.effectiveFrom.toISOString(), defaultBps: rules.defaultBps });
      return rules;
    });
    this.afterCommit();
    return set;
  }

  /** Every rule on the input, before anything is written; unknown categories are asked of listings. */
  private async checked(input: CommissionRulesInput): Promise<CommissionRules> {
    const defaultBps = integerInRange(input.defaultRateBps, 'input.defaultRateBps', { min: 0, max: MAX_RATE_BPS });
    const categories = input.categories ?? [];
    if (categories.length > MAX_CATEGORIES) throw badInput(`at most ${MAX_CATEGORIES} category rates`, 'input.categories');
    const byCategory = new Map<string, number>();
    for (const { category, rateBps } of categories) {
      const slug = requiredText(category, 'input.categories.category', { max: 64 });
      if (!SLUG.test(slug)) throw badInput('input.categories.category must be a category slug such as home-garden', 'input.categories.category');
      if (byCategory.has(slug)) throw badInput(`${slug} has two rates`, 'input.categories.category');
      byCategory.set(slug, integerInRange(rateBps, 'input.categories.rateBps', { min: 0, max: MAX_RATE_BPS }));
    }
    const tiers = checkedTiers(input.tiers ?? []);
    const now = Date.now();
    const effectiveFrom = input.effectiveFrom ?? new Date(now);
    if (effectiveFrom.getTime() < now - CLOCK_SKEW_MS) {
      throw badInput('effectiveFrom must not be in the past: orders created before keep the rate they were created with', 'input.effectiveFrom');
    }
    if (effectiveFrom.getTime() > now + MAX_AHEAD_MS) throw badInput('effectiveFrom must be within a year', 'input.effectiveFrom');
    const unknown = byCategory.size ? await this.unknownCategories([...byCategory.keys()]) : [];
    if (unknown.length) throw badInput(`no such category: ${unknown.join(', ')}`, 'input.categories.category');
    return { defaultBps, byCategory, tiers, effectiveFrom };
  }

  /** The new rule set's id, or null when one in force already starts at that moment. */
  private async insert(m: EntityManager, rules: CommissionRules, createdBy: string): Promise<string | null> {
    const id = randomUUID();
    const inserted: unknown[] = await m.query(
      `INSERT INTO commission_rule_sets (id, effective_from, default_rate_bps, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (effective_from) DO NOTHING RETURNING id`,
      [id, rules.effectiveFrom, rules.defaultBps, createdBy],
    );
    if (inserted.length === 0) return null;
    for (const [slug, rate] of rules.byCategory) {
      await m.query(`INSERT INTO commission_category_rates (rule_set_id, category_slug, rate_bps) VALUES ($1, $2, $3)`, [id, slug, rate]);
    }
    for (const tier of rules.tiers) {
      await m.query(`INSERT INTO commission_tiers (rule_set_id, currency, from_amount, rate_bps) VALUES ($1, $2, $3, $4)`, [
        id,
        tier.currency,
        tier.fromAmount,
        tier.rateBps,
      ]);
    }
    return id;
  }
}

/** Per currency: from 0, strictly ascending (in any order on input), at most MAX_TIERS_PER_CURRENCY. */
function checkedTiers(input: readonly { currency: string; fromAmount: number; rateBps: number }[]): CommissionTier[] {
  const tiers = input.map((tier) => {
    const currency = tier.currency.trim().toUpperCase();
    if (!isCurrency(currency)) throw badInput('input.tiers.currency must be an ISO 4217 code such as USD', 'input.tiers.currency');
    return {
      currency,
      fromAmount: integerInRange(tier.fromAmount, 'input.tiers.fromAmount', { min: 0, max: MAX_AMOUNT }),
      rateBps: integerInRange(tier.rateBps, 'input.tiers.rateBps', { min: 0, max: MAX_RATE_BPS }),
    };
  });
  tiers.sort((a, b) => a.currency.localeCompare(b.currency) || a.fromAmount - b.fromAmount);
  for (const currency of new Set(tiers.map((t) => t.currency))) {
    const own = tiers.filter((t) => t.currency === currency);
    if (own.length > MAX_TIERS_PER_CURRENCY) throw badInput(`at most ${MAX_TIERS_PER_CURRENCY} tiers per currency`, 'input.tiers');
    if (own[0].fromAmount !== 0) throw badInput(`${currency}'s tiers must start at fromAmount 0`, 'input.tiers.fromAmount');
    if (own.some((t, i) => i > 0 && t.fromAmount === own[i - 1].fromAmount)) {
      throw badInput(`${currency} has two tiers from the same amount`, 'input.tiers.fromAmount');
    }
  }
  return tiers;
}
