/**
 * Money is an integer count of the currency's minor unit plus its ISO 4217 code. Never a float.
 */
export interface Money {
  amount: number;
  currency: string;
}

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN_CURRENCIES.has(code);
}

const formatters = new Map<string, Intl.NumberFormat>();
function formatter(currency: string): Intl.NumberFormat {
  let f = formatters.get(currency);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    formatters.set(currency, f);
  }
  return f;
}

const minorUnits = new Map<string, number>();
/** How many minor units make one major unit: 100 for USD, 1 for JPY, 1000 for KWD. */
export function minorUnitsPerMajor(currency: string): number {
  let units = minorUnits.get(currency);
  if (units === undefined) {
    // resolvedOptions() builds a fresh object each call: too dear for every price of every page
    units = 10 ** (formatter(currency).resolvedOptions().maximumFractionDigits ?? 2);
    minorUnits.set(currency, units);
  }
  return units;
}

export function formatMoney({ amount, currency }: Money): string {
  // Division happens only here, for display; amounts themselves stay integers.
  return formatter(currency).format(amount / minorUnitsPerMajor(currency));
}

/** The GraphQL `Money` object every subgraph that shows prices returns. */
export function moneyField(money: Money): Money & { formatted: string } {
  return { amount: money.amount, currency: money.currency, formatted: formatMoney(money) };
}
