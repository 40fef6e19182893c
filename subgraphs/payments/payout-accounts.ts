import { Column, Entity, PrimaryColumn, type DataSource } from 'typeorm';
import { isUuid } from '../../lib/ids';

export type PayoutAccountStatus = 'NOT_STARTED' | 'PENDING' | 'ENABLED' | 'RESTRICTED';

/** Where a seller stands with the payment provider for receiving money, in the provider's words. */
export interface PayoutAccountState {
  status: PayoutAccountStatus;
  payoutsEnabled: boolean;
  /** What the provider still needs (Stripe's requirement names); empty when nothing. */
  requirements: string[];
}

/** A seller's connected account at the payment provider, which receives their transfers. */
@Entity({ name: 'seller_accounts' })
export class PayoutAccountEntity {
  /** A seller of the accounts subgraph, referred to by key only. */
  @PrimaryColumn({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  /** Which provider keeps it: test or stripe. */
  @Column({ type: 'text' })
  provider!: string;

  /** The provider's id of the account (acct_…). */
  @Column({ name: 'account_ref', type: 'text' })
  accountRef!: string;

  @Column({ type: 'text' })
  status!: PayoutAccountStatus;

  @Column({ name: 'payouts_enabled', type: 'boolean' })
  payoutsEnabled!: boolean;

  @Column({ type: 'text', array: true })
  requirements!: string[];

  /** When the provider's state last applied was the provider's (a webhook's time): older news is ignored. */
  @Column({ name: 'provider_state_at', type: 'timestamptz', nullable: true })
  providerStateAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

const NOT_STARTED: PayoutAccountState = { status: 'NOT_STARTED', payoutsEnabled: false, requirements: [] };
const ACCOUNT_ID = /^acct_[A-Za-z0-9]+$/;

/**
 * Sellers' payout accounts. Transfers go to ENABLED sellers only: money released before that waits
 * in their available balance, and becomes transferable the moment the provider enables them
 * (`onEnabled`, which escrow uses to pay what waited).
 */
export class PayoutAccounts {
  constructor(
    private readonly db: DataSource,
    private readonly onEnabled: (sellerId: string) => void = () => undefined,
  ) {}

  // in a transaction, as everything here: PGlite interleaves statements outside transactions
  async of(sellerId: string): Promise<PayoutAccountEntity | null> {
    if (!isUuid(sellerId)) return null;
    return this.db.transaction((m) => m.getRepository(PayoutAccountEntity).findOneBy({ sellerId }));
  }

  async stateOf(sellerId: string): Promise<PayoutAccountState> {
    const account = await this.of(sellerId);
    return account ? { status: account.status, payoutsEnabled: account.payoutsEnabled, requirements: account.requirements } : NOT_STARTED;
  }

  async canBePaid(sellerId: string): Promise<boolean> {
    return (await this.of(sellerId))?.status === 'ENABLED';
  }

  /** The account transfers go to, while the seller can be paid; null otherwise. */
  async destinationOf(sellerId: string): Promise<string | null> {
    const account = await this.of(sellerId);
    return account?.status === 'ENABLED' ? account.accountRef : null;
  }

  /**
   * Keeps the account the provider made for the seller. The first one kept stays: a concurrent start
   * asked with the same idempotency key and got the same account.
   */
  async record(sellerId: string, provider: string, accountRef: string, state: PayoutAccountState): Promise<PayoutAccountEntity> {
    if (!ACCOUNT_ID.test(accountRef)) throw new Error(`a connected account id looks like acct_…, got ${accountRef}`);
    const now = new Date();
    return this.db.transaction(async (m) => {
      await m
        .createQueryBuilder()
        .insert()
        .into(PayoutAccountEntity)
        .values({ sellerId, provider, accountRef, ...state, providerStateAt: null, createdAt: now, updatedAt: now })
        .orIgnore()
        .execute();
      return m.getRepository(PayoutAccountEntity).findOneByOrFail({ sellerId });
    });
  }

  /**
   * The provider's view of an account (a webhook, or the test provider's onboarding page), applied
   * unless news from later was applied already: webhooks arrive out of order. Returns the account's
   * seller, or null for an account that is not one of ours.
   */
  async apply(provider: string, accountRef: string, state: PayoutAccountState, at: Date): Promise<string | null> {
    const changed = await this.db.transaction(async (m) => {
      const account = await m.getRepository(PayoutAccountEntity).findOne({ where: { provider, accountRef }, lock: { mode: 'pessimistic_write' } });
      if (!account) return null;
      if (account.providerStateAt && account.providerStateAt > at) return { sellerId: account.sellerId, enabled: false };
      await m.getRepository(PayoutAccountEntity).update({ sellerId: account.sellerId }, { ...state, providerStateAt: at, updatedAt: new Date() });
      return { sellerId: account.sellerId, enabled: state.status === 'ENABLED' && account.status !== 'ENABLED' };
    });
    if (changed?.enabled) this.onEnabled(changed.sellerId);
    return changed?.sellerId ?? null;
  }

  /**
   * Links a seller to an account onboarded elsewhere (an operator's repair, tests): ENABLED, as an
   * account whose owner set it up with the provider directly.
   */
  async link(sellerId: string, accountRef: string, provider = 'stripe'): Promise<void> {
    if (!isUuid(sellerId)) throw new Error('sellerId must be a UUID');
    if (!ACCOUNT_ID.test(accountRef)) throw new Error('a connected account id looks like acct_…');
    const now = new Date();
    await this.db.transaction((m) =>
      m
        .createQueryBuilder()
        .insert()
        .into(PayoutAccountEntity)
        .values({ sellerId, provider, accountRef, status: 'ENABLED', payoutsEnabled: true, requirements: [], createdAt: now, updatedAt: now })
        .orUpdate(['provider', 'account_ref', 'status', 'payouts_enabled', 'requirements', 'updated_at'], ['seller_id'])
        .execute(),
    );
    this.onEnabled(sellerId);
  }
}
