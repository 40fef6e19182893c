import { forbidden } from '../errors';
import type { Viewer } from './viewer';

/** The role of the people who run the marketplace (granted from the command line, never through the API). */
export const OPERATOR = 'operator';

/**
 * A token's scopes for its roles. An operator's powers (refunds, suspensions, commission) are worth
 * stealing a password for, so the operator scope comes only with a session signed in with two-factor:
 * without it an operator is an ordinary user, and operator operations are FORBIDDEN.
 */
export function scopesFor(roles: readonly string[], twoFactor: boolean): string[] {
  return roles.filter((role) => role !== OPERATOR || twoFactor);
}

/** Why an operator-only operation is refused to this viewer, said so that the person knows what to do. */
export function operatorRefusal(viewer: Viewer): string {
  return viewer.roles.includes(OPERATOR)
    ? 'Operators must have two-factor sign-in on and log in with a code to do this'
    : 'Only operators can do this';
}

/** For services behind @requiresScopes(operator): the rule again, where the data is. */
export function requireOperator(viewer: Viewer): void {
  if (!viewer.scopes.includes(OPERATOR)) throw forbidden(operatorRefusal(viewer));
}
