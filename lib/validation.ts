import { badInput } from './errors';

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

/** Whether an optional input was given: absent and null both mean "not given". */
export const given = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;
