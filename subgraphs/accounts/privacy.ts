import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { conflict, unauthenticated } from '../../lib/errors';
import { recordAudit } from '../../lib/audit/record';
import { recordEvent, type OutboxRelay } from '../../lib/events/outbox';
import type { InternalClient } from '../../lib/server/internal-client';
import { AddressEntity, SellerEntity, UserEntity } from './entities';
import { rolesOf } from './roles';
import type { AccountsService } from './service';
import type { Sessions } from './sessions';

/** Each subgraph's internal field that tells what it holds about a user (and their shop). */
const HOLDERS = [
  ['listings', 'listingsPersonalData'],
  ['orders', 'ordersPersonalData'],
  ['payments', 'paymentsPersonalData'],
  ['reputation', 'reputationPersonalData'],
  ['notifications', 'notificationsPersonalData'],
] as const;

const OPEN_ORDERS = `query AccountOpenOrders($userId: ID!, $sellerId: ID) { openOrderCount(userId: $userId, sellerId: $sellerId) }`;
/** Payments owns escrow: an order orders calls finished (cancelled) may still hold money until its refund settles. */
const ESCROW = `query AccountEscrow($userId: ID!, $sellerId: ID) { escrowOrderCount(userId: $userId, sellerId: $sellerId) }`;

/** The shop of a deleted seller, as accounts and listings show it from then on. */
export const closedShopName = (sellerId: string) => `Closed shop ${sellerId.slice(0, 8)}`;

/**
 * The viewer's rights over their data: all of it, from every subgraph, as one JSON document; and
 * deleting the account, which erases or anonymises it everywhere (AccountDeleted), while orders and
 * the ledger keep their amounts under the now anonymous id.
 */
export class AccountPrivacy {
  constructor(
    private readonly db: DataSource,
    private readonly internal: InternalClient,
    private readonly accounts: AccountsService,
    private readonly sessions: Sessions,
    private readonly outbox: Pick<OutboxRelay, 'wake'>,
  ) {}

  async exportData(userId: string): Promise<string> {
    const user = await this.db.getRepository(UserEntity).findOneByOrFail({ id: userId });
    const seller = await this.db.getRepository(SellerEntity).findOneBy({ userId });
    const addresses = await this.db.getRepository(AddressEntity).findBy({ userId });
    const sessions = await this.db.query(
      `SELECT id, created_at, last_used_at, two_factor, ended_at, ended_why FROM sessions WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
    const variables = { userId, sellerId: seller?.id ?? null };
    const held = await Promise.all(
      HOLDERS.map(async ([subgraph, field]) => {
        const data = await this.internal.call<Record<string, string>>(subgraph, `query Export($userId: ID!, $sellerId: ID) { ${field}(userId: $userId, sellerId: $sellerId) }`, variables);
        return [subgraph, JSON.parse(data[field])] as const;
      }),
    );
    const account = {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      emailVerifiedAt: user.emailVerifiedAt,
      twoFactorEnabledAt: user.twoFactorEnabledAt,
      createdAt: user.createdAt,
      roles: await rolesOf(this.db, userId),
      seller: seller && { id: seller.id, shopName: seller.shopName, country: seller.country, currency: seller.currency, createdAt: seller.createdAt },
      addresses,
      sessions,
    };
    return JSON.stringify({ exportedAt: new Date().toISOString(), account, ...Object.fromEntries(held) });
  }

  /**
   * With the password again. Refused (CONFLICT) while the user's orders, as buyer or seller, are not
   * finished (someone waits on them), or while any of them still has money in escrow (not yet released
   * to the seller nor refunded: someone is owed it). Afterwards the email can sign up anew.
   */
  async deleteAccount(viewer: Viewer, password: string): Promise<true> {
    const user = await this.db.getRepository(UserEntity).findOneBy({ id: viewer.userId });
    if (!user || user.deletedAt) throw unauthenticated('Your account no longer exists');
    if (!(await this.accounts.passwordMatches(user, password))) throw unauthenticated('Your password is not right');
    const seller = await this.db.getRepository(SellerEntity).findOneBy({ userId: user.id });
    const parties = { userId: user.id, sellerId: seller?.id ?? null };
    const [{ openOrderCount }, { escrowOrderCount }] = await Promise.all([
      this.internal.call<{ openOrderCount: number }>('orders', OPEN_ORDERS, parties),
      this.internal.call<{ escrowOrderCount: number }>('payments', ESCROW, parties),
    ]);
    if (openOrderCount > 0) {
      throw conflict(`${openOrderCount} of your orders are not finished; the account can be deleted once they are completed, cancelled or refunded`);
    }
    if (escrowOrderCount > 0) {
      throw conflict(`${escrowOrderCount} of your orders still have money in escrow; the account can be deleted once it is released to the seller or refunded`);
    }
    await this.db.transaction(async (manager) => {
      await manager.update(UserEntity, { id: user.id }, {
        email: `deleted-${randomUUID()}@deleted.invalid`,
        displayName: 'Deleted user',
        // no password hashes to this: nobody signs in again
        passwordHash: '!',
        emailVerifiedAt: null,
        twoFactorSecret: null,
        twoFactorEnabledAt: null,
        twoFactorLastStep: null,
        deletedAt: new Date(),
      });
      await manager.delete(AddressEntity, { userId: user.id });
      await manager.query(`DELETE FROM recovery_codes WHERE user_id = $1`, [user.id]);
      await manager.query(`DELETE FROM one_time_tokens WHERE user_id = $1`, [user.id]);
      await manager.query(`DELETE FROM user_roles WHERE user_id = $1`, [user.id]);
      if (seller) await manager.update(SellerEntity, { id: seller.id }, { shopName: closedShopName(seller.id) });
      await this.sessions.endAll(manager, user.id, 'account-deleted');
      await recordEvent(manager, 'accounts', 'AccountDeleted', {
        userId: user.id,
        sellerId: seller?.id ?? null,
        closedShopName: seller ? closedShopName(seller.id) : null,
        at: new Date().toISOString(),
      });
      // the log keeps the ids (who did what stays answerable), never the erased email or name
      await recordAudit(manager, 'accounts', { action: 'account.deleted', actorId: user.id, targetType: 'user', targetId: user.id, details: { sellerId: seller?.id ?? null } });
    });
    this.outbox.wake();
    return true;
  }
}
