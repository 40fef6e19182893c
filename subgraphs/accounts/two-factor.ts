import { randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import type { DataSource, EntityManager } from 'typeorm';
import { affectedRows } from '../../lib/db/affected';
import { badInput, conflict } from '../../lib/errors';
import { digestOf } from './secrets';
import type { UserEntity } from './entities';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

export const RECOVERY_CODES = 10;
/** Codes of the step before and after the current one pass too: phones' clocks drift, people type slowly. */
const TOLERANCE_SECONDS = 30;
/** Crockford's base 32 without look-alikes (no I, L, O, U): recovery codes are read off paper. */
const RECOVERY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A recovery code as people type it: case and dashes do not matter. */
const canonicalRecovery = (code: string): string => code.toUpperCase().replace(/[^0-9A-Z]/g, '');

function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/**
 * Two-factor sign-in with time-based one-time codes (RFC 6238, through otplib) and one-time recovery
 * codes. It is set up in two steps, so that nobody is locked out by a secret their app never took:
 * enable returns the secret, and only a code from it turns two-factor on.
 */
export class TwoFactor {
  constructor(private readonly issuer: string) {}

  async begin(db: Queryable, user: UserEntity): Promise<{ secret: string; otpauthUrl: string }> {
    if (user.twoFactorEnabledAt) throw conflict('Two-factor sign-in is on already');
    const secret = generateSecret();
    await db.query(`UPDATE users SET two_factor_secret = $2, two_factor_last_step = NULL WHERE id = $1`, [user.id, secret]);
    return { secret, otpauthUrl: generateURI({ issuer: this.issuer, label: user.email, secret }) };
  }

  /** Turns two-factor on with a first code; returns the recovery codes, shown this once. */
  async confirm(db: Queryable, user: UserEntity, code: string): Promise<string[]> {
    if (user.twoFactorEnabledAt) throw conflict('Two-factor sign-in is on already');
    if (!user.twoFactorSecret) throw conflict('Call enableTwoFactor first');
    if (!(await this.acceptTotp(db, user, code))) throw badInput('That code is not right; enter the current one from your app', 'code');
    await db.query(`UPDATE users SET two_factor_enabled_at = now() WHERE id = $1`, [user.id]);
    return this.replaceRecoveryCodes(db, user.id);
  }

  /** Turns two-factor off; the secret and recovery codes are forgotten. */
  async disable(db: Queryable, userId: string): Promise<void> {
    await db.query(`UPDATE users SET two_factor_secret = NULL, two_factor_enabled_at = NULL, two_factor_last_step = NULL WHERE id = $1`, [userId]);
    await db.query(`DELETE FROM recovery_codes WHERE user_id = $1`, [userId]);
  }

  /** A current code, or an unused recovery code (then spent). */
  async accept(db: Queryable, user: UserEntity, code: string): Promise<boolean> {
    if (!user.twoFactorSecret) return false;
    const trimmed = code.trim();
    if (/^\d{6}$/.test(trimmed)) return this.acceptTotp(db, user, trimmed);
    const spent = await db.query(`UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, [
      user.id,
      digestOf(canonicalRecovery(trimmed)),
    ]);
    return affectedRows(spent) === 1;
  }

  /**
   * A code is accepted once: its time step must be later than the last accepted one, and recording it
   * is conditional, so two sign-ins racing with one code cannot both pass.
   */
  private async acceptTotp(db: Queryable, user: UserEntity, code: string): Promise<boolean> {
    if (!/^\d{6}$/.test(code.trim())) return false;
    const lastStep = user.twoFactorLastStep === null ? undefined : Number(user.twoFactorLastStep);
    const result = await verify({ secret: user.twoFactorSecret!, token: code.trim(), epochTolerance: TOLERANCE_SECONDS, afterTimeStep: lastStep })
      // otplib refuses an afterTimeStep ahead of the clock (a code accepted early, then the clock stepped back): not this code
      .catch(() => ({ valid: false as const }));
    if (!result.valid || !('timeStep' in result)) return false;
    const recorded = await db.query(
      `UPDATE users SET two_factor_last_step = $2 WHERE id = $1 AND (two_factor_last_step IS NULL OR two_factor_last_step < $2)`,
      [user.id, result.timeStep],
    );
    return affectedRows(recorded) === 1;
  }

  private async replaceRecoveryCodes(db: Queryable, userId: string): Promise<string[]> {
    await db.query(`DELETE FROM recovery_codes WHERE user_id = $1`, [userId]);
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await db.query(`INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])`, [
      userId,
      codes.map((code) => digestOf(canonicalRecovery(code))),
    ]);
    return codes;
  }
}
