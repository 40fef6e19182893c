import { moneyField } from '../../lib/money';
import { DateTime } from '../../lib/scalars';
import type { Resolvers } from './generated/resolvers-types';
import { sellerBalance } from './ledger';
import { visiblePayment, visiblePayout } from './service';
import { transfersOf } from './transfer-history';
import { escrowOrdersOf, personalData } from './privacy';

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    paymentsPersonalData: async (_root, { userId, sellerId }, { db }) => JSON.stringify(await personalData(db, userId, sellerId ?? null)),
    escrowOrderCount: (_root, { userId, sellerId }, { db }) => escrowOrdersOf(db, userId, sellerId ?? null),
    commissionRules: (_root, _args, { commission }) => commission.inForce(),
    // @requiresScopes(operator) guarantees a viewer; the service checks the role again
    reconciliationRuns: (_root, { first, after }, { reconciliation, viewer }) => reconciliation.runs(viewer!, first, after),
  },
  CommissionRules: {
    defaultRateBps: (rules) => rules.defaultBps,
    categories: (rules) => [...rules.byCategory].map(([slug, rateBps]) => ({ category: { slug }, rateBps })),
  },
  Mutation: {
    // internal: @requiresScopes(internal) lets only other subgraphs call it
    createPayment: (_root, { input }, { payments }) => payments.createPayment(input),
    holdEscrow: (_root, { orderId, disputeId }, { holds }) => holds.hold(orderId, disputeId),
    dropEscrowHold: (_root, { orderId, disputeId }, { holds }) => holds.drop(orderId, disputeId),
    settleDispute: (_root, { orderId, disputeId, refundAmount, release }, { holds }) => holds.settle(orderId, disputeId, refundAmount ?? null, release),
    // @authenticated in the SDL guarantees a viewer here
    confirmTestPayment: (_root, { paymentId, card }, { payments, viewer }) => payments.confirmTestPayment(viewer!, paymentId, card),
    refundOrder: (_root, { orderId, amount, reason }, { payments, viewer }) =>
      payments.refundOrder(viewer!, orderId, amount ?? null, reason ?? null),
    // @requiresScopes(seller) guarantees a viewer; the service checks they are a seller
    startPayoutOnboarding: (_root, { returnUrl, refreshUrl }, { onboarding, viewer }) => onboarding.start(viewer!, returnUrl, refreshUrl),
    setPayoutSchedule: (_root, { schedule }, { schedules, viewer }) => schedules.set(viewer!, schedule),
    // @requiresScopes(operator) guarantees a viewer; the book checks the role again
    setCommissionRules: (_root, { input }, { commission, viewer }) => commission.set(viewer!, input),
    runReconciliation: (_root, _args, { reconciliation, viewer }) => reconciliation.runFor(viewer!),
  },
  Payment: {
    __resolveReference: async ({ id }, { loaders, viewer }) => visiblePayment(await loaders.payment.load(id), viewer),
    amount: (payment) => moneyField({ amount: payment.amount, currency: payment.currency }),
  },
  Purchase: {
    __resolveReference: ({ id }) => ({ id }),
    payment: async (purchase, _args, { loaders, viewer }) => visiblePayment(await loaders.paymentOfPurchase.load(purchase.id), viewer),
  },
  Order: {
    __resolveReference: ({ id }) => ({ id }),
    payout: async (order, _args, { loaders, viewer }) => visiblePayout(await loaders.payout.load(order.id), viewer),
  },
  SellerCommission: {
    salesLast30Days: (commission) => moneyField(commission.salesLast30Days),
  },
  Payout: {
    platformFee: (payout) => moneyField({ amount: payout.platformFee, currency: payout.currency }),
    net: (payout) => moneyField({ amount: payout.net, currency: payout.currency }),
    refunded: (payout) => moneyField({ amount: payout.refundedAmount, currency: payout.currency }),
  },
  Refund: {
    amount: (refund) => moneyField({ amount: refund.amount, currency: refund.currency }),
  },
  Seller: {
    __resolveReference: ({ id }) => ({ id }),
    // the seller themself only; their balance is in their shop's currency
    balance: async (seller, _args, { loaders, viewer }) =>
      viewer?.seller?.id === seller.id ? sellerBalance(await loaders.sellerAccounts.load(seller.id), seller.id, viewer.seller.currency) : null,
    payoutAccount: (seller, _args, { payoutAccounts, viewer }) => (viewer?.seller?.id === seller.id ? payoutAccounts.stateOf(seller.id) : null),
    payoutSchedule: (seller, _args, { schedules, viewer }) => (viewer?.seller?.id === seller.id ? schedules.of(seller.id) : null),
    commission: (seller, _args, { commission, viewer }) =>
      viewer?.seller?.id === seller.id ? commission.commissionOf(seller.id, viewer.seller.currency) : null,
    transfers: (seller, { first, after }, { db, viewer }) => (viewer?.seller?.id === seller.id ? transfersOf(db, seller.id, first, after) : null),
  },
  Transfer: {
    amount: (transfer) => moneyField({ amount: transfer.amount, currency: transfer.currency }),
    orders: async (transfer, _args, { loaders }) => (await loaders.ordersOfTransfer.load(transfer.id)).map((order) => ({ id: order.orderId })),
  },
  SellerBalance: {
    pending: (balance) => moneyField(balance.pending),
    available: (balance) => moneyField(balance.available),
    paidOut: (balance) => moneyField(balance.paidOut),
  },
};
