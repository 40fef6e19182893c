import countries from 'i18n-iso-countries';
import { badInput } from './errors';
import { given, requiredText } from './validation';

/** An address to deliver to, as people write it; `country` an ISO 3166-1 alpha-2 code. */
export interface PostalAddress {
  name: string;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string;
  country: string;
  phone: string | null;
}

/** What a client sends for one: every text trimmed and bounded, the country checked against ISO 3166-1. */
export interface PostalAddressInput {
  name: string;
  line1: string;
  line2?: string | null;
  city: string;
  region?: string | null;
  postalCode: string;
  country: string;
  phone?: string | null;
}

const MAX_TEXT = 200;
const MAX_PHONE = 40;
/** Digits with the separators people write between them; a leading + for the country code. */
const PHONE = /^\+?[0-9][0-9 ().-]*$/;

/** Whether `code` is an ISO 3166-1 alpha-2 country code (upper case), from the standard's list. */
export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && countries.isValid(code);
}

/**
 * The address an input describes, or BAD_USER_INPUT naming the field (prefixed with `within`, as in
 * `shippingAddress.city`, when the address is part of a larger input).
 */
export function postalAddress(input: PostalAddressInput, within?: string): PostalAddress {
  const field = (name: string) => (within ? `${within}.${name}` : name);
  const optional = (value: string | null | undefined, name: string, max = MAX_TEXT) => {
    if (!given(value) || !value.trim()) return null;
    return requiredText(value, field(name), { max });
  };
  const country = input.country.trim().toUpperCase();
  if (!isCountryCode(country)) throw badInput('country must be an ISO 3166-1 alpha-2 code such as US', field('country'));
  const phone = optional(input.phone, 'phone', MAX_PHONE);
  if (phone !== null && !PHONE.test(phone)) throw badInput('phone may hold digits, spaces, +, -, ( and ) only', field('phone'));
  return {
    name: requiredText(input.name, field('name'), { max: MAX_TEXT }),
    line1: requiredText(input.line1, field('line1'), { max: MAX_TEXT }),
    line2: optional(input.line2, 'line2'),
    city: requiredText(input.city, field('city'), { max: MAX_TEXT }),
    region: optional(input.region, 'region'),
    postalCode: requiredText(input.postalCode, field('postalCode'), { max: MAX_TEXT }),
    country,
    phone,
  };
}
