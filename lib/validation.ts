import { badInput } from './errors';
import { isCurrency, type Money } from './money';

/** Trims a required text input and checks its length; the field name goes into the error for clients. */
export function requiredText(value: string, field: string, { min = 1, max }: { min?: number; max: number }): string {
  const text = value.trim();
  if (text.length < min) throw badInput(min === 1 ? `${field} must not be empty` : `${field} needs at least ${min} characters`, field);
  if (text.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  return text;
}

export function integerInRange(value: number, field: string, { min, max }: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(`${field} must be an integer from ${min} to ${max}`, field);
  }
  return value;
}

/**
 * An amount a client sent that must be in `currency` (a shop's): whole minor units within the bounds,
 * in exactly that currency; else BAD_USER_INPUT naming `field.amount` or `field.currency`.
 */
export function amountIn(currency: string, money: Money, field: string, bounds: { min: number; max: number }): number {
  const amount = integerInRange(money.amount, `${field}.amount`, bounds);
  const code = money.currency.trim().toUpperCase();
  if (!isCurrency(code)) throw badInput(`${field}.currency must be an ISO 4217 code such as USD`, `${field}.currency`);
  if (code !== currency) throw badInput(`${field}.currency must be ${currency}, the currency of your shop`, `${field}.currency`);
  return amount;
}

/** Whether an optional input was given: absent and null both mean "not given". */
export const given = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/** Hosts where plain http is allowed: a developer's own machine. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A URL a client gives for people to be sent to (a return page): absolute, https, or http on a local
 * host only, at most `max` characters; else BAD_USER_INPUT naming the field.
 */
export function webUrl(value: string, field: string, { max = 2000 }: { max?: number } = {}): string {
  const text = requiredText(value, field, { max });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badInput(`${field} must be an absolute URL such as https://shop.example/payouts`, field);
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
  if (!secure) throw badInput(`${field} must be an https URL (http only for localhost)`, field);
  if (url.username || url.password) throw badInput(`${field} must not carry a user name or password`, field);
  return url.toString();
}
