import { Counter } from 'prom-client';
import { buildSchema } from '../../lib/server/build-schema';
import type { InternalClient } from '../../lib/server/internal-client';
import type { SubgraphModule } from '../../lib/server/subgraph-module';
import type { RouteHandler } from '../../lib/server/subgraph-server';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import { paymentsConfig } from './config';
import { paymentsLoaders, type PaymentsContext } from './context';
import {
  LedgerEntryEntity,
  LedgerTransactionEntity,
  PaymentEntity,
  PaymentOrderEntity,
  PayoutScheduleEntity,
  RefundEntity,
  TransferEntity,
} from './entities';
import { Escrow } from './escrow';
import { EscrowHolds } from './escrow-holds';
import { ChargebackRecoveries, RECOVERY_RETRY_AFTER_MS } from './chargeback-recoveries';
import { Chargebacks } from './chargebacks';
import { Disputes1732000000310 } from './migrations/1732000000310-disputes';
import { Payments1732000000003 } from './migrations/1732000000003-payments';
import { StripeConnect1732000000007 } from './migrations/1732000000007-stripe-connect';
import { TransferAmount1732000000008 } from './migrations/1732000000008-transfer-amount';
import { Transfers1732000000011 } from './migrations/1732000000011-transfers';
import { CommissionRules1732000000012 } from './migrations/1732000000012-commission-rules';
import { CommissionRuleBook } from './commission-rules';
import { Reconciliation1732000000013 } from './migrations/1732000000013-reconciliation';
import { SellerStanding1732000000520 } from './migrations/1732000000520-seller-standing';
import { ChargebackRecoveries1732000000530 } from './migrations/1732000000530-chargeback-recoveries';
import { Reconciliation } from './reconciliation';
import type { PaymentProvider } from './provider';
import { Refunds, STALE_REFUND_MS } from './refunds';
import { resolvers } from './resolvers';
import { PayoutAccounts1732000000010 } from './migrations/1732000000010-payout-accounts';
import { PayoutAccountEntity, PayoutAccounts } from './payout-accounts';
import { PayoutOnboarding } from './payout-onboarding';
import { PaymentsService } from './service';
import { createStripeClient } from './stripe-config';
import { StripeOnboarding } from './stripe-onboarding';
import { StripePaymentProvider } from './stripe-provider';
import { STRIPE_WEBHOOK_PATH, stripeWebhookRoute } from './stripe-webhooks';
import { TestOnboarding, TEST_ONBOARDING_PATH } from './test-onboarding';
import { TableProviderRecords, TestPaymentProvider } from './test-provider';
import { PayoutSchedules } from './payout-schedules';
import { SellerStandings } from './seller-standing';
import { SellerTransfers, TRANSFER_RETRY_AFTER_MS } from './transfers';

/** The payments subgraph; tests may hand it a provider of their own (one that fails, for instance). */
export function paymentsModule(options: { provider?: PaymentProvider } = {}): SubgraphModule<PaymentsContext> {
  return {
    name: 'payments',
    defaultPort: defaultPort('payments'),
    entities: [PaymentEntity, PaymentOrderEntity, RefundEntity, LedgerTransactionEntity, LedgerEntryEntity, PayoutAccountEntity, TransferEntity, PayoutScheduleEntity],
    migrations: [Payments1732000000003, StripeConnect1732000000007, TransferAmount1732000000008, PayoutAccounts1732000000010, Transfers1732000000011, CommissionRules1732000000012, Reconciliation1732000000013, Disputes1732000000310, SellerStanding1732000000520, ChargebackRecoveries1732000000530],
    create({ db, env, bus, outbox, logger, metrics, publicUrl, internal }) {
      // configuration is read first, so that a mistake stops the process at start
      const config = paymentsConfig(env);
      const commission = new CommissionRuleBook(db, config.commission, (slugs) => unknownCategories(internal, slugs), logger, () => outbox.wake());
      const stripeConfig = options.provider ? null : config.stripe;
      const stripe = stripeConfig && { client: createStripeClient(stripeConfig), webhookSecret: stripeConfig.webhookSecret };
      // a seller whose payouts become ENABLED is paid what waited for them at once (transfers are made below)
      const payoutAccounts = new PayoutAccounts(db, (sellerId) => transfers.payWaiting(sellerId));
      const provider: PaymentProvider =
        options.provider ??
        (stripe ? new StripePaymentProvider(stripe.client, (sellerId) => payoutAccounts.destinationOf(sellerId), logger) : new TestPaymentProvider(new TableProviderRecords(db)));
      const testOnboarding = stripe ? null : new TestOnboarding(db, payoutAccounts, publicUrl, logger);
      const onboarding = new PayoutOnboarding(payoutAccounts, testOnboarding ?? new StripeOnboarding(stripe!.client), logger);
      const afterCommit = () => outbox.wake();
      const refunds = new Refunds(db, provider, afterCommit, logger);
      const declined = new Counter({ name: 'payments_declined_total', help: 'Card payments the provider declined (succeeded ones: events_published_total{type="PaymentSucceeded"})', registers: [metrics] });
      const service = new PaymentsService(db, provider, commission, refunds, afterCommit, logger, () => declined.inc());
      const schedules = new PayoutSchedules(db);
      const reconciliation = new Reconciliation(db, provider, config.reconciliation, logger, afterCommit);
      reconciliation.register(metrics);
      const standings = new SellerStandings(db, (sellerId) => transfers.payWaiting(sellerId));
      // paid only while payouts are ENABLED and the seller is not suspended
      const canBePaid = async (sellerId: string) => (await payoutAccounts.canBePaid(sellerId)) && !(await standings.isSuspended(sellerId));
      const transfers = new SellerTransfers(db, provider, schedules, canBePaid, logger);
      const escrow = new Escrow(db, provider, refunds, afterCommit, logger, transfers);
      const holds = new EscrowHolds(db, refunds, () => escrow, afterCommit);
      const recoveries = new ChargebackRecoveries(db, provider, afterCommit, logger);
      const chargebacks = new Chargebacks(db, recoveries, () => escrow, afterCommit, logger);
      const routes: Record<string, RouteHandler> = stripe
        ? { [STRIPE_WEBHOOK_PATH]: stripeWebhookRoute({ db, stripe: stripe.client, webhookSecret: stripe.webhookSecret, payments: service, payoutAccounts, chargebacks, logger }) }
        : { [TEST_ONBOARDING_PATH]: testOnboarding!.route() };
      return {
        name: 'payments',
        schema: buildSchema(loadTypeDefs('payments'), resolvers),
        context: (viewer) => ({ viewer, db, commission, reconciliation, payments: service, holds, payoutAccounts, onboarding, schedules, loaders: paymentsLoaders(db) }),
        routes,
        async background() {
          await commission.seed();
          const unsubscribe = await bus.subscribe('payments', async (event) => {
            await escrow.onEvent(event);
            await standings.onEvent(event);
          });
          const stopRetrying = refunds.startRetrying(STALE_REFUND_MS / 2);
          const stopTransferring = transfers.startRetrying(TRANSFER_RETRY_AFTER_MS / 2);
          const stopReconciling = reconciliation.startSchedule();
          const stopRecovering = recoveries.startRetrying(RECOVERY_RETRY_AFTER_MS / 2);
          return async () => {
            await stopRecovering();
            await stopReconciling();
            await stopTransferring();
            await stopRetrying();
            await unsubscribe();
          };
        },
      };
    },
  };
}

/** Categories belong to listings: the ones of `slugs` it does not have. */
async function unknownCategories(internal: InternalClient, slugs: string[]): Promise<string[]> {
  const { categories } = await internal.call<{ categories: { slug: string }[] }>('listings', `query CommissionCategories { categories { slug } }`, {});
  const known = new Set(categories.map((c) => c.slug));
  return slugs.filter((slug) => !known.has(slug));
}

export const payments = paymentsModule();
