import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { loaderByKey, loaderOfLists } from '../../lib/dataloader';
import { validIds } from '../../lib/ids';
import { PaymentEntity, PaymentOrderEntity } from './entities';
import { accounts, balancesOf, type Balances } from './ledger';
import type { CommissionRuleBook } from './commission-rules';
import type { PayoutAccounts } from './payout-accounts';
import type { PayoutOnboarding } from './payout-onboarding';
import type { PayoutSchedules } from './payout-schedules';
import type { Reconciliation } from './reconciliation';
import type { PaymentsService } from './service';
import type { EscrowHolds } from './escrow-holds';

export interface PaymentsLoaders {
  payment: DataLoader<string, PaymentEntity | null>;
  paymentOfPurchase: DataLoader<string, PaymentEntity | null>;
  /** An order's money (the Payout), by order id. */
  payout: DataLoader<string, PaymentOrderEntity | null>;
  /** The orders a transfer pays, by transfer id, in the order they were released. */
  ordersOfTransfer: DataLoader<string, PaymentOrderEntity[]>;
  /** The balances of a seller's ledger accounts (escrow, available and paid out), by seller id. */
  sellerAccounts: DataLoader<string, Balances>;
}

export interface PaymentsContext {
  viewer: Viewer | null;
  db: DataSource;
  commission: CommissionRuleBook;
  reconciliation: Reconciliation;
  payments: PaymentsService;
  /** Escrow frozen by disputes, and their decisions (internal calls of orders). */
  holds: EscrowHolds;
  payoutAccounts: PayoutAccounts;
  onboarding: PayoutOnboarding;
  schedules: PayoutSchedules;
  loaders: PaymentsLoaders;
}

export function paymentsLoaders(db: DataSource): PaymentsLoaders {
  return {
    payment: loaderByKey((ids) => db.transaction((m) => m.getRepository(PaymentEntity).findBy({ id: In(validIds(ids)) })), (p) => p.id),
    paymentOfPurchase: loaderByKey(
      (ids) => db.transaction((m) => m.getRepository(PaymentEntity).findBy({ purchaseId: In(validIds(ids)) })),
      (p) => p.purchaseId,
    ),
    payout: loaderByKey(
      (ids) => db.transaction((m) => m.getRepository(PaymentOrderEntity).findBy({ orderId: In(validIds(ids)) })),
      (o) => o.orderId,
    ),
    ordersOfTransfer: loaderOfLists(
      (ids) =>
        db.transaction((m) =>
          m.getRepository(PaymentOrderEntity).find({ where: { transferId: In(validIds(ids)) }, order: { releasedAt: 'ASC', orderId: 'ASC' } }),
        ),
      (o) => o.transferId!,
    ),
    sellerAccounts: new DataLoader(async (sellerIds) => {
      const names = sellerIds.flatMap((id) => [accounts.escrow(id), accounts.seller(id), accounts.paidOut(id)]);
      const balances = await db.transaction((m) => balancesOf(m, names));
      return sellerIds.map(() => balances);
    }),
  };
}
