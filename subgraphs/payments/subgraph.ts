import { Counter } from 'prom-client';
import { buildSchema } from '../../lib/server/build-schema';
import type { SubgraphModule } from '../../lib/server/subgraph-module';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import { paymentsConfig } from './config';
import { paymentsLoaders, type PaymentsContext } from './context';
import { LedgerEntryEntity, LedgerTransactionEntity, PaymentEntity, PaymentOrderEntity, RefundEntity } from './entities';
import { Escrow, TRANSFER_RETRY_AFTER_MS } from './escrow';
import { Payments1732000000003 } from './migrations/1732000000003-payments';
import { StripeConnect1732000000007 } from './migrations/1732000000007-stripe-connect';
import { TransferAmount1732000000008 } from './migrations/1732000000008-transfer-amount';
import type { PaymentProvider } from './provider';
import { Refunds, STALE_REFUND_MS } from './refunds';
import { resolvers } from './resolvers';
import { SellerAccountEntity, SellerAccounts } from './seller-accounts';
import { PaymentsService } from './service';
import { createStripeClient } from './stripe-config';
import { StripePaymentProvider } from './stripe-provider';
import { STRIPE_WEBHOOK_PATH, stripeWebhookRoute } from './stripe-webhooks';
import { TestPaymentProvider } from './test-provider';

/** The payments subgraph; tests may hand it a provider of their own (one that fails, for instance). */
export function paymentsModule(options: { provider?: PaymentProvider } = {}): SubgraphModule<PaymentsContext> {
  return {
    name: 'payments',
    defaultPort: defaultPort('payments'),
    entities: [PaymentEntity, PaymentOrderEntity, RefundEntity, LedgerTransactionEntity, LedgerEntryEntity, SellerAccountEntity],
    migrations: [Payments1732000000003, StripeConnect1732000000007, TransferAmount1732000000008],
    create({ db, env, bus, outbox, logger, metrics }) {
      // configuration is read first, so that a mistake stops the process at start
      const config = paymentsConfig(env);
      const rules = config.commission;
      const stripeConfig = options.provider ? null : config.stripe;
      const stripe = stripeConfig && { client: createStripeClient(stripeConfig), webhookSecret: stripeConfig.webhookSecret };
      const sellerAccounts = new SellerAccounts(db);
      const provider: PaymentProvider =
        options.provider ??
        (stripe ? new StripePaymentProvider(stripe.client, (sellerId) => sellerAccounts.stripeAccountOf(sellerId), logger) : new TestPaymentProvider());
      const afterCommit = () => outbox.wake();
      const refunds = new Refunds(db, provider, afterCommit, logger);
      const declined = new Counter({ name: 'payments_declined_total', help: 'Card payments the provider declined (succeeded ones: events_published_total{type="PaymentSucceeded"})', registers: [metrics] });
      const service = new PaymentsService(db, provider, rules, refunds, afterCommit, logger, () => declined.inc());
      const escrow = new Escrow(db, provider, refunds, afterCommit, logger);
      return {
        name: 'payments',
        schema: buildSchema(loadTypeDefs('payments'), resolvers),
        context: (viewer) => ({ viewer, payments: service, loaders: paymentsLoaders(db) }),
        routes: stripe
          ? { [STRIPE_WEBHOOK_PATH]: stripeWebhookRoute({ db, stripe: stripe.client, webhookSecret: stripe.webhookSecret, payments: service, logger }) }
          : undefined,
        async background() {
          const unsubscribe = await bus.subscribe('payments', (event) => escrow.onEvent(event));
          const stopRetrying = refunds.startRetrying(STALE_REFUND_MS / 2);
          const stopTransferring = escrow.startRetrying(TRANSFER_RETRY_AFTER_MS / 2);
          return async () => {
            await stopTransferring();
            await stopRetrying();
            await unsubscribe();
          };
        },
      };
    },
  };
}

export const payments = paymentsModule();
