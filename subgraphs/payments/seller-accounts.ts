import { Column, Entity, PrimaryColumn, type DataSource } from 'typeorm';
import { isUuid } from '../../lib/ids';

/** Where a seller's money goes at Stripe: their connected account. */
@Entity({ name: 'seller_accounts' })
export class SellerAccountEntity {
  /** A seller of the accounts subgraph, referred to by key only. */
  @PrimaryColumn({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  @Column({ name: 'stripe_account_id', type: 'text' })
  stripeAccountId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

const ACCOUNT_ID = /^acct_[A-Za-z0-9]+$/;

/**
 * A transfer to a seller who has no connected account yet. Escrow asks canTransferTo first and
 * begins no transfer for such a seller; its transfer sweep (Escrow.retryTransfers) sends it once
 * the account is linked.
 */
export class SellerAccountMissingError extends Error {
  constructor(readonly sellerId: string) {
    super(`seller ${sellerId} has no connected Stripe account (seller_accounts): their transfer waits and is retried until one is linked`);
  }
}

/**
 * Sellers' connected accounts. Onboarding (Stripe account links, account.updated webhooks) is not
 * built yet, so accounts are linked by an operator or a test through `link`.
 */
export class SellerAccounts {
  constructor(private readonly db: DataSource) {}

  async stripeAccountOf(sellerId: string): Promise<string | null> {
    // in a transaction, as everything here: PGlite interleaves statements outside transactions
    const row = await this.db.transaction((m) => m.getRepository(SellerAccountEntity).findOneBy({ sellerId }));
    return row?.stripeAccountId ?? null;
  }

  /** Links (or relinks) a seller to their connected account. */
  async link(sellerId: string, stripeAccountId: string): Promise<void> {
    if (!isUuid(sellerId)) throw new Error('sellerId must be a UUID');
    if (!ACCOUNT_ID.test(stripeAccountId)) throw new Error('a connected account id looks like acct_…');
    await this.db.transaction((m) =>
      m
        .createQueryBuilder()
        .insert()
        .into(SellerAccountEntity)
        .values({ sellerId, stripeAccountId, createdAt: new Date() })
        .orUpdate(['stripe_account_id'], ['seller_id'])
        .execute(),
    );
  }
}
