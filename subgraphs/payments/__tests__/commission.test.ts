import { ConfigError } from '../../../lib/config';
import { baseRate, commissionRulesFromEnv, hasTiers, parseFeeRules, platformFee, splitOrder, type CommissionRules } from '../commission';

const rules = (defaultBps: number, byCategory: Record<string, number> = {}, tiers: CommissionRules['tiers'] = []): CommissionRules => ({
  defaultBps,
  byCategory: new Map(Object.entries(byCategory)),
  tiers,
  effectiveFrom: new Date(0),
});

describe('platform fee: round half up of Σ amount × bps / 10000, exact in integers', () => {
  test('the default rate applies to every category without a rule', () => {
    expect(platformFee([{ categorySlug: 'home-garden', amount: 5000 }], rules(1000))).toBe(500);
  });

  test('odd cents round half up: 0.5 → 1, 0.4 → 0, 1.5 → 2', () => {
    expect(platformFee([{ categorySlug: 'x', amount: 5 }], rules(1000))).toBe(1); // 0.5
    expect(platformFee([{ categorySlug: 'x', amount: 4 }], rules(1000))).toBe(0); // 0.4
    expect(platformFee([{ categorySlug: 'x', amount: 15 }], rules(1000))).toBe(2); // 1.5
    expect(platformFee([{ categorySlug: 'x', amount: 999 }], rules(1000))).toBe(100); // 99.9
    expect(platformFee([{ categorySlug: 'x', amount: 1 }], rules(4999))).toBe(0); // 0.4999
    expect(platformFee([{ categorySlug: 'x', amount: 1 }], rules(5000))).toBe(1); // 0.5
  });

  test('per-category rates are summed before the one rounding, not rounded per line', () => {
    const r = rules(1000, { electronics: 500, books: 800 });
    // 0.25 + 0.4 + 0.5 = 1.15 → 1 (rounding each line first would give 0 + 0 + 1 = 1, or 3 rounding up)
    const lines = [
      { categorySlug: 'electronics', amount: 5 },
      { categorySlug: 'books', amount: 5 },
      { categorySlug: 'home-garden', amount: 5 },
    ];
    expect(platformFee(lines, r)).toBe(1);
    // 0.45 + 0.48 + 0.6 = 1.53 → 2, where rounding per line would give 0 + 0 + 1 = 1
    expect(
      platformFee(
        [
          { categorySlug: 'electronics', amount: 9 },
          { categorySlug: 'books', amount: 6 },
          { categorySlug: 'toys', amount: 6 },
        ],
        r,
      ),
    ).toBe(2);
  });

  test('a zero-fee category costs nothing and leaves the whole amount to the seller', () => {
    const r = rules(1000, { books: 0 });
    expect(splitOrder([{ categorySlug: 'books', amount: 1999 }], r)).toEqual({ amount: 1999, fee: 0, net: 1999, rateBps: 0 });
    expect(splitOrder([{ categorySlug: 'books', amount: 1999 }, { categorySlug: 'toys', amount: 1001 }], r)).toEqual({
      amount: 3000,
      fee: 100, // 100.1
      net: 2900,
      rateBps: 334, // the items' rates weighted by amount: 1001 × 1000 / 3000 = 333.67
    });
  });

  test('a 0-decimal currency (JPY) gets whole yen: the rule is about minor units, whatever they are', () => {
    expect(splitOrder([{ categorySlug: 'x', amount: 1234 }], rules(1000))).toEqual({ amount: 1234, fee: 123, net: 1111, rateBps: 1000 }); // 123.4
    expect(splitOrder([{ categorySlug: 'x', amount: 1235 }], rules(1000))).toEqual({ amount: 1235, fee: 124, net: 1111, rateBps: 1000 }); // 123.5
  });

  test('large amounts stay exact (no floating point), and 100 % takes everything', () => {
    const max = 2 ** 31 - 1;
    expect(platformFee([{ categorySlug: 'x', amount: max }], rules(333))).toBe(Math.floor((max * 333 + 5000) / 10000));
    expect(splitOrder([{ categorySlug: 'x', amount: max }], rules(10_000))).toEqual({ amount: max, fee: max, net: 0, rateBps: 10_000 });
  });

  test('net + fee = total, always (random orders)', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const r = rules(1000, { electronics: 500, books: 800, free: 0, luxury: 2500 });
    const categories = ['electronics', 'books', 'free', 'luxury', 'other'];
    for (let i = 0; i < 2000; i++) {
      const lines = Array.from({ length: 1 + random(5) }, () => ({ categorySlug: categories[random(5)], amount: 1 + random(100_000) }));
      const { amount, fee, net } = splitOrder(lines, r);
      // the exact fee, in rational arithmetic, is within half a unit (and a half rounds up)
      const exact = lines.reduce((sum, l) => sum + l.amount * (r.byCategory.get(l.categorySlug) ?? r.defaultBps), 0);
      const ok = net + fee === amount && fee >= 0 && net >= 0 && fee * 10000 - exact <= 5000 && exact - fee * 10000 < 5000;
      if (!ok) throw new Error(`${JSON.stringify(lines)}: fee ${fee}, net ${net}`);
    }
  });
});

describe('volume tiers', () => {
  const tiered = rules(1000, { books: 500 }, [
    { currency: 'USD', fromAmount: 0, rateBps: 1200 },
    { currency: 'USD', fromAmount: 100_000, rateBps: 800 },
    { currency: 'USD', fromAmount: 1_000_000, rateBps: 600 },
    { currency: 'EUR', fromAmount: 0, rateBps: 900 },
  ]);

  test('the highest tier the seller’s sales reach, in the order’s currency; the default where the currency has none', () => {
    expect(baseRate(tiered, 'USD', 0)).toBe(1200);
    expect(baseRate(tiered, 'USD', 99_999)).toBe(1200);
    expect(baseRate(tiered, 'USD', 100_000)).toBe(800);
    expect(baseRate(tiered, 'USD', 5_000_000)).toBe(600);
    expect(baseRate(tiered, 'EUR', 5_000_000)).toBe(900);
    expect(baseRate(tiered, 'JPY', 5_000_000)).toBe(1000);
    expect(hasTiers(tiered, 'USD')).toBe(true);
    expect(hasTiers(tiered, 'JPY')).toBe(false);
  });

  test('a category with its own rate keeps it whatever the tier; other items take the tier', () => {
    const base = baseRate(tiered, 'USD', 150_000); // 800
    expect(splitOrder([{ categorySlug: 'books', amount: 1000 }], tiered, base)).toEqual({ amount: 1000, fee: 50, net: 950, rateBps: 500 });
    expect(splitOrder([{ categorySlug: 'toys', amount: 1000 }], tiered, base)).toEqual({ amount: 1000, fee: 80, net: 920, rateBps: 800 });
  });
});

describe('configuration, checked at start', () => {
  test('defaults: 10 % everywhere', () => {
    const r = commissionRulesFromEnv({});
    expect(r.defaultBps).toBe(1000);
    expect(r.byCategory.size).toBe(0);
  });

  test('PLATFORM_FEE_BPS and PLATFORM_FEE_RULES', () => {
    const r = commissionRulesFromEnv({ PLATFORM_FEE_BPS: '750', PLATFORM_FEE_RULES: ' electronics=500, books = 800 ,' });
    expect(r.defaultBps).toBe(750);
    expect([...r.byCategory]).toEqual([
      ['electronics', 500],
      ['books', 800],
    ]);
  });

  test.each([
    [{ PLATFORM_FEE_BPS: '10.5' }],
    [{ PLATFORM_FEE_BPS: '-1' }],
    [{ PLATFORM_FEE_BPS: '10001' }],
    [{ PLATFORM_FEE_RULES: 'electronics' }],
    [{ PLATFORM_FEE_RULES: 'electronics=5%' }],
    [{ PLATFORM_FEE_RULES: 'electronics=20000' }],
    [{ PLATFORM_FEE_RULES: 'electronics=-5' }],
    [{ PLATFORM_FEE_RULES: 'electronics=500,electronics=600' }],
    [{ PLATFORM_FEE_RULES: 'Electronics=500' }],
  ])('%j fails fast', (env) => {
    expect(() => commissionRulesFromEnv(env)).toThrow(ConfigError);
  });

  test('an empty rule list is no rules', () => {
    expect(parseFeeRules('').size).toBe(0);
  });
});
