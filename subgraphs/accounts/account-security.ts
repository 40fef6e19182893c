import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { badInput, unauthenticated } from '../../lib/errors';
import { recordAudit } from '../../lib/audit/record';
import { recordEvent, type OutboxRelay } from '../../lib/events/outbox';
import type { EventPayloads } from '../../lib/events/catalog';
import type { Credentials, SignedIn } from './credentials';
import { UserEntity } from './entities';
import type { OneTimeLinks } from './one-time-links';
import { checkNewPassword, twoFactorRequired, type AccountsService } from './service';
import type { Sessions } from './sessions';
import type { TwoFactor } from './two-factor';

/** The contract's limit: at most 5 reset emails an hour to one address. */
export const RESETS_PER_HOUR = 5;

type Change = EventPayloads['AccountSecurityChanged']['change'];

/** The audit log's names for the changes a user makes to their own account's security. */
const AUDITED: Partial<Record<Change, string>> = {
  PASSWORD_CHANGED: 'password.changed',
  PASSWORD_RESET: 'password.reset',
  TWO_FACTOR_ENABLED: 'two_factor.enabled',
  TWO_FACTOR_DISABLED: 'two_factor.disabled',
};

/**
 * Passwords, email verification, sessions and two-factor: what protects an account once it exists.
 * Each change that matters to the owner is told to them (AccountSecurityChanged), in case it was not them.
 */
export class AccountSecurity {
  constructor(
    private readonly db: DataSource,
    private readonly accounts: AccountsService,
    private readonly credentials: Credentials,
    private readonly sessions: Sessions,
    private readonly links: OneTimeLinks,
    private readonly twoFactor: TwoFactor,
    private readonly outbox: Pick<OutboxRelay, 'wake'>,
  ) {}

  /** Wrong current password: UNAUTHENTICATED. Every other session of the user ends. */
  async changePassword(viewer: Viewer, currentPassword: string, newPassword: string): Promise<true> {
    checkNewPassword(newPassword, 'newPassword');
    const user = await this.userOf(viewer);
    if (!(await this.accounts.passwordMatches(user, currentPassword))) throw unauthenticated('Your current password is not right');
    const passwordHash = await this.accounts.hash(newPassword);
    await this.changing(user.id, 'PASSWORD_CHANGED', async (manager) => {
      await manager.update(UserEntity, { id: user.id }, { passwordHash });
      await this.sessions.endAll(manager, user.id, 'password-changed', viewer.sessionId);
    });
    return true;
  }

  /**
   * Always answers true: whether an address has an account is nobody's business. An account's address
   * gets a reset link, at most RESETS_PER_HOUR an hour (more requests are answered the same, unsent).
   */
  async requestPasswordReset(email: string): Promise<true> {
    const user = await this.db.getRepository(UserEntity).findOneBy({ email: email.trim().toLowerCase() });
    if (!user || user.deletedAt) return true;
    await this.db.transaction(async (manager) => {
      // one request at a time per user, so that the count is exact
      await manager.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [user.id]);
      if ((await this.links.countRecent(manager, user.id, 'reset-password', 60)) >= RESETS_PER_HOUR) return;
      await this.accounts.requestEmail(manager, user, 'reset-password');
    });
    this.outbox.wake();
    return true;
  }

  /**
   * Spends a reset link: a new password, every session ended, and a new one opened for the caller.
   * The link replaces the password, not the second factor: with two-factor on, it takes a code too
   * (a wrong one leaves the link unspent).
   */
  async resetPassword(token: string, newPassword: string, code?: string | null): Promise<SignedIn & { user: UserEntity }> {
    checkNewPassword(newPassword, 'newPassword');
    const passwordHash = await this.accounts.hash(newPassword);
    const signedIn = await this.db.transaction(async (manager) => {
      const userId = await this.links.spend(manager, token, 'reset-password');
      const user = await manager.findOneByOrFail(UserEntity, { id: userId });
      const twoFactor = user.twoFactorEnabledAt !== null;
      if (twoFactor && !(code && (await this.twoFactor.accept(manager, user, code)))) throw twoFactorRequired(code);
      // having the mailbox proves the address too
      await manager.update(UserEntity, { id: userId }, { passwordHash, emailVerifiedAt: user.emailVerifiedAt ?? new Date() });
      await this.sessions.endAll(manager, userId, 'password-reset');
      await this.told(manager, userId, 'PASSWORD_RESET');
      return { ...(await this.credentials.signIn(manager, user, twoFactor)), user };
    });
    this.outbox.wake();
    return signedIn;
  }

  async verifyEmail(token: string): Promise<UserEntity> {
    const user = await this.db.transaction(async (manager) => {
      const userId = await this.links.spend(manager, token, 'verify-email');
      await manager.query(`UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1`, [userId]);
      await this.told(manager, userId, 'EMAIL_VERIFIED');
      return manager.findOneByOrFail(UserEntity, { id: userId });
    });
    this.outbox.wake();
    return user;
  }

  /** Sends the verification email again (a lost or expired one); verified already: nothing to do. */
  async resendVerification(viewer: Viewer): Promise<boolean> {
    const user = await this.userOf(viewer);
    if (user.emailVerifiedAt) return false;
    await this.db.transaction((manager) => this.accounts.requestEmail(manager, user, 'verify-email'));
    this.outbox.wake();
    return true;
  }

  async refreshSession(refreshToken: string): Promise<SignedIn> {
    const { userId, sessionId, twoFactor, refreshToken: next } = await this.sessions.rotate(refreshToken);
    const user = await this.db.getRepository(UserEntity).findOneByOrFail({ id: userId });
    return { token: await this.credentials.accessToken(this.db, user, { sessionId, twoFactor }), refreshToken: next };
  }

  async logOut(refreshToken: string): Promise<true> {
    await this.sessions.end(refreshToken);
    return true;
  }

  async enableTwoFactor(viewer: Viewer): Promise<{ secret: string; otpauthUrl: string }> {
    return this.twoFactor.begin(this.db, await this.userOf(viewer));
  }

  async confirmTwoFactor(viewer: Viewer, code: string): Promise<{ recoveryCodes: string[] }> {
    const user = await this.userOf(viewer);
    let recoveryCodes: string[] = [];
    await this.changing(user.id, 'TWO_FACTOR_ENABLED', async (manager) => {
      recoveryCodes = await this.twoFactor.confirm(manager, user, code);
    });
    return { recoveryCodes };
  }

  /** Turning two-factor off takes a current code (or a recovery code), so a stolen session cannot do it. */
  async disableTwoFactor(viewer: Viewer, code: string): Promise<true> {
    const user = await this.userOf(viewer);
    if (!user.twoFactorEnabledAt) return true;
    await this.changing(user.id, 'TWO_FACTOR_DISABLED', async (manager) => {
      if (!(await this.twoFactor.accept(manager, user, code))) throw badInput('That code is not right', 'code');
      await this.twoFactor.disable(manager, user.id);
    });
    return true;
  }

  private async changing(userId: string, change: Change, work: (manager: EntityManager) => Promise<void>): Promise<void> {
    await this.db.transaction(async (manager) => {
      await work(manager);
      await this.told(manager, userId, change);
    });
    this.outbox.wake();
  }

  /** The user is told (notifications), and a sensitive change is audited, in the change's own transaction. */
  private async told(manager: EntityManager, userId: string, change: Change) {
    const action = AUDITED[change];
    // the user did it themselves (a reset link's holder is, as far as anyone can tell, the user)
    if (action) await recordAudit(manager, 'accounts', { action, actorId: userId, targetType: 'user', targetId: userId });
    return recordEvent(manager, 'accounts', 'AccountSecurityChanged', { userId, change, at: new Date().toISOString() });
  }

  private async userOf(viewer: Viewer): Promise<UserEntity> {
    const user = await this.db.getRepository(UserEntity).findOneBy({ id: viewer.userId });
    if (!user || user.deletedAt) throw unauthenticated('Your account no longer exists');
    return user;
  }
}
