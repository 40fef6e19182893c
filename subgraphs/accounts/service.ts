import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../../lib/audit/record';
import type { Viewer } from '../../lib/auth/viewer';
import { isUniqueViolation } from '../../lib/db/errors';
import { AppError, badInput, conflict, unauthenticated } from '../../lib/errors';
import { isCurrency } from '../../lib/money';
import { recordEvent, type OutboxRelay } from '../../lib/events/outbox';
import { requiredText } from '../../lib/validation';
import type { Credentials, SignedIn } from './credentials';
import { SellerEntity, UserEntity } from './entities';
import type { LinkPurpose, OneTimeLinks } from './one-time-links';
import { hashPassword, verifyPassword, type ScryptCost } from './passwords';
import type { TwoFactor } from './two-factor';

export interface SignUpInput {
  email: string;
  password: string;
  displayName?: string | null;
}
export interface LogInInput {
  email: string;
  password: string;
  code?: string | null;
}
export interface BecomeSellerInput {
  shopName: string;
  country: string;
  currency: string;
}

/**
 * A valid email address as the HTML standard's `<input type=email>` defines it (a willful violation of
 * RFC 5322 that matches what people type): what a browser form accepts, this accepts, and no more.
 */
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const MIN_PASSWORD = 8;
/** Bounds the work one request can cause in the KDF. */
const MAX_PASSWORD = 256;

/** The rules of a new password, wherever one is set (sign-up, change, reset). */
export function checkNewPassword(password: string, field: string): void {
  if (password.length < MIN_PASSWORD) throw badInput(`password needs at least ${MIN_PASSWORD} characters`, field);
  if (password.length > MAX_PASSWORD) throw badInput(`password must be at most ${MAX_PASSWORD} characters`, field);
}

/**
 * A failed sign-in, for the audit log: the account it was for when there is one. For an address with no
 * account, the sha256 of the address stands in for it (attempts on one address can be told apart and
 * looked up by whoever knows the address, while the log keeps no list of addresses that are not
 * customers'); the client sees the same answer either way. Never the password.
 */
function signInFailed(manager: EntityManager, email: string, user: UserEntity | null, reason: 'UNKNOWN_EMAIL' | 'WRONG_PASSWORD' | 'CODE_REQUIRED' | 'WRONG_CODE') {
  const known = user && !user.deletedAt ? user : null;
  return recordAudit(manager, 'accounts', {
    action: 'user.sign_in_failed',
    actorId: null,
    ...(known ? { targetType: 'user', targetId: known.id } : { targetType: 'email', targetId: createHash('sha256').update(email).digest('hex') }),
    details: { reason },
  });
}

export class AccountsService {
  private dummyHash?: Promise<string>;

  constructor(
    private readonly db: DataSource,
    private readonly credentials: Credentials,
    private readonly cost: ScryptCost,
    private readonly outbox: Pick<OutboxRelay, 'wake'>,
    private readonly links: OneTimeLinks,
    private readonly twoFactor: TwoFactor,
  ) {}

  /** Hashes a new password at the configured cost. */
  hash(password: string): Promise<string> {
    return hashPassword(password, this.cost);
  }

  /** Checks a password in the time a wrong email would take too, so that timing tells nothing. */
  async passwordMatches(user: UserEntity | null, password: string): Promise<boolean> {
    if (!user || user.deletedAt) {
      await verifyPassword(password, await this.dummy());
      return false;
    }
    return verifyPassword(password, user.passwordHash);
  }

  async signUp(input: SignUpInput): Promise<SignedIn & { user: UserEntity }> {
    const email = normaliseEmail(input.email);
    checkNewPassword(input.password, 'password');
    const displayName =
      input.displayName === null || input.displayName === undefined
        ? email.split('@')[0]
        : requiredText(input.displayName, 'displayName', { max: 80 });
    const users = this.db.getRepository(UserEntity);
    if (await users.exists({ where: { email } })) throw conflict('An account with this email already exists');
    const passwordHash = await hashPassword(input.password, this.cost);
    try {
      const signedIn = await this.db.transaction(async (manager) => {
        const user = await manager.save(users.create({ email, passwordHash, displayName }));
        await recordEvent(manager, 'accounts', 'UserRegistered', { userId: user.id, email, displayName, at: user.createdAt.toISOString() });
        await this.requestEmail(manager, user, 'verify-email');
        return { ...(await this.credentials.signIn(manager, user, false)), user };
      });
      this.outbox.wake();
      return signedIn;
    } catch (error) {
      // two sign-ups with one email at once: the unique index decides
      if (isUniqueViolation(error, 'users_email_key')) throw conflict('An account with this email already exists');
      throw error;
    }
  }

  /**
   * With two-factor on, the password alone is not enough: without a code, or with a wrong one,
   * UNAUTHENTICATED with `twoFactorRequired`, so that a client knows to ask for the code (which it
   * learns only with the right password).
   */
  async logIn(input: LogInInput): Promise<SignedIn & { user: UserEntity }> {
    const email = input.email.trim().toLowerCase();
    const user = await this.db.getRepository(UserEntity).findOne({ where: { email } });
    if (!(await this.passwordMatches(user, input.password))) {
      await this.db.transaction((manager) => signInFailed(manager, email, user, user && !user.deletedAt ? 'WRONG_PASSWORD' : 'UNKNOWN_EMAIL'));
      this.outbox.wake();
      throw unauthenticated('Wrong email or password');
    }
    const account = user!;
    const signedIn = await this.db.transaction(async (manager) => {
      const twoFactor = account.twoFactorEnabledAt !== null;
      if (twoFactor && !(input.code && (await this.twoFactor.accept(manager, account, input.code)))) {
        await signInFailed(manager, email, account, input.code ? 'WRONG_CODE' : 'CODE_REQUIRED');
        return undefined;
      }
      await recordEvent(manager, 'accounts', 'AccountSecurityChanged', { userId: account.id, change: 'NEW_SIGN_IN', at: new Date().toISOString() });
      await recordAudit(manager, 'accounts', { action: 'user.signed_in', actorId: account.id, targetType: 'user', targetId: account.id, details: { twoFactor } });
      return { ...(await this.credentials.signIn(manager, account, twoFactor)), user: account };
    });
    this.outbox.wake();
    if (!signedIn) throw twoFactorRequired(input.code);
    return signedIn;
  }

  /** Sends an email with a one-time link (through notifications), in the caller's transaction. */
  async requestEmail(manager: EntityManager, user: UserEntity, purpose: LinkPurpose): Promise<void> {
    const { url, expiresAt } = await this.links.issue(manager, user.id, purpose);
    await recordEvent(manager, 'accounts', 'AccountEmailRequested', {
      userId: user.id,
      email: user.email,
      displayName: user.displayName,
      purpose: purpose === 'verify-email' ? 'VERIFY_EMAIL' : 'RESET_PASSWORD',
      url,
      expiresAt: expiresAt.toISOString(),
    });
  }

  async becomeSeller(viewer: Viewer, input: BecomeSellerInput): Promise<{ token: string; seller: SellerEntity }> {
    const shopName = requiredText(input.shopName, 'shopName', { min: 2, max: 80 });
    const country = input.country.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(country)) throw badInput('country must be an ISO 3166-1 alpha-2 code such as US', 'country');
    const currency = input.currency.trim().toUpperCase();
    if (!isCurrency(currency)) throw badInput('currency must be an ISO 4217 code such as USD', 'currency');

    const user = await this.db.getRepository(UserEntity).findOne({ where: { id: viewer.userId } });
    if (!user) throw unauthenticated('Your account no longer exists');
    const sellers = this.db.getRepository(SellerEntity);
    if (await sellers.exists({ where: { userId: user.id } })) throw conflict('You are a seller already');
    try {
      // the event commits with the seller: listings shows the shop name beside their listings from it
      const seller = await this.db.transaction(async (manager) => {
        const saved = await manager.save(sellers.create({ userId: user.id, shopName, country, currency }));
        await recordEvent(manager, 'accounts', 'SellerRegistered', { sellerId: saved.id, shopName, at: saved.createdAt.toISOString(), userId: user.id });
        return saved;
      });
      this.outbox.wake();
      // the same session, now a seller's
      const session = { sessionId: viewer.sessionId, twoFactor: viewer.twoFactor };
      return { token: await this.credentials.accessToken(this.db, user, session), seller };
    } catch (error) {
      if (isUniqueViolation(error, 'sellers_shop_name_key')) throw conflict('That shop name is taken');
      if (isUniqueViolation(error, 'sellers_user_id_key')) throw conflict('You are a seller already');
      throw error;
    }
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword('not-a-real-password', this.cost);
    return this.dummyHash;
  }
}

/** Two-factor is on and no right code came: the client asks for one (extensions.twoFactorRequired). */
export function twoFactorRequired(code: string | null | undefined): AppError {
  return new AppError('UNAUTHENTICATED', code ? 'That code is not right' : 'Enter the code from your authenticator app', {
    twoFactorRequired: true,
  });
}

export function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput('email is not a valid address', 'email');
  return email;
}
