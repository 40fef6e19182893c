import { moneyField } from '../../lib/money';
import { DateTime } from '../../lib/scalars';
import type { Resolvers } from './generated/resolvers-types';
import { seesAddress, trackingUrl } from './delivery-view';
import { inListOrder } from './shipping';
import { roleIn } from './transitions';
import { openOrdersOf, personalData } from './privacy';

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    ordersPersonalData: async (_root, { userId, sellerId }, { db }) => JSON.stringify(await personalData(db, userId, sellerId ?? null)),
    openOrderCount: (_root, { userId, sellerId }, { db }) => openOrdersOf(db, userId, sellerId ?? null),
    // @authenticated / @requiresScopes in the SDL guarantee a viewer in every field below
    order: (_root, { id }, { orders, viewer, loaders }) => orders.order(viewer!, id, (key) => loaders.order.load(key)),
    purchase: (_root, { id }, { orders, viewer, loaders }) => orders.purchase(viewer!, id, (key) => loaders.purchase.load(key)),
    myOrders: (_root, { first, after }, { orders, viewer }) => orders.myOrders(viewer!, first, after),
    sellerOrders: (_root, { status, first, after }, { orders, viewer }) => orders.sellerOrders(viewer!, status, first, after),
    dispute: (_root, { id }, { disputeQueries, viewer, loaders }) => disputeQueries.dispute(viewer!, id, (key) => loaders.dispute.load(key)),
    myDisputes: (_root, { first, after }, { disputeQueries, viewer }) => disputeQueries.mine(viewer!, first, after),
    // @requiresScopes(operator) guarantees a viewer; the queries check the scope again
    disputes: (_root, { status, first, after }, { disputeQueries, viewer }) => disputeQueries.queue(viewer!, status ?? null, first, after),
  },
  Mutation: {
    checkout: (_root, { input }, { orders, viewer }) => orders.checkout(viewer!, input),
    acceptOrder: (_root, { id }, { orders, viewer }) => orders.accept(viewer!, id),
    shipOrder: (_root, { id, carrier, trackingNumber }, { orders, viewer }) => orders.ship(viewer!, id, { carrier, trackingNumber }),
    confirmDelivery: (_root, { id }, { orders, viewer }) => orders.confirmDelivery(viewer!, id),
    cancelOrder: (_root, { id, reason }, { orders, viewer }) => orders.cancel(viewer!, id, reason),
    setShippingRates: (_root, { rates }, { shipping, viewer }) => shipping.set(viewer!, rates),
    openDispute: (_root, { orderId, reason, details }, { disputes, viewer }) => disputes.open(viewer!, orderId, reason, details),
    addDisputeMessage: (_root, { id, body }, { disputes, viewer }) => disputes.addMessage(viewer!, id, body),
    resolveDispute: (_root, { id, outcome, refundAmount, note }, { disputes, viewer }) =>
      disputes.resolve(viewer!, id, outcome, refundAmount ?? null, note),
  },
  Dispute: {
    refunded: (dispute) => (dispute.refundedAmount === null ? null : moneyField({ amount: dispute.refundedAmount, currency: dispute.currency.trim() })),
    openedAt: (dispute) => dispute.createdAt,
    // the dispute's readers (its parties and operators) see its order, whoever they are to it
    order: async (dispute, _args, { loaders }) => (await loaders.order.load(dispute.orderId))!,
    messages: (dispute, _args, { loaders }) => loaders.disputeMessages.load(dispute.id),
  },
  DisputeMessage: {
    author: (message) => (message.authorId ? { id: message.authorId } : null),
  },
  Seller: {
    __resolveReference: ({ id }) => ({ id }),
    shippingRates: async ({ id }, _args, { loaders }) => inListOrder(await loaders.shippingRates.load(id)),
  },
  ShippingRate: {
    price: (rate) => moneyField({ amount: rate.priceAmount, currency: rate.currency.trim() }),
    freeOver: (rate) => (rate.freeOverAmount === null ? null : moneyField({ amount: rate.freeOverAmount, currency: rate.currency.trim() })),
  },
  Subscription: {
    orderStatusChanged: {
      // @authenticated in the SDL guarantees a viewer
      subscribe: (_root, { orderId }, { live, viewer }) => live.subscribe(viewer!, orderId),
    },
  },
  OrderStatusEvent: {
    order: (event, _args, context) => {
      // the event brings the order as it stood after the change, read once for every subscriber
      context.forgetCachedReads();
      const { order, items, history } = event.snapshot;
      context.loaders.order.prime(order.id, order);
      context.loaders.items.prime(order.id, items);
      context.loaders.history.prime(order.id, history);
      return order;
    },
  },
  Purchase: {
    // other subgraphs' references resolve for the buyer only
    __resolveReference: async ({ id }, { loaders, viewer }) => {
      const purchase = await loaders.purchase.load(id);
      return purchase && purchase.state !== 'RESERVING' && purchase.buyerId === viewer?.userId ? purchase : null;
    },
    buyer: (purchase) => ({ id: purchase.buyerId }),
    // set together with the orders, before a purchase becomes visible
    total: (purchase) => moneyField({ amount: purchase.totalAmount, currency: purchase.currency!.trim() }),
    orders: (purchase, _args, { loaders }) => loaders.ordersOfPurchase.load(purchase.id),
  },
  Order: {
    __resolveReference: async ({ id }, { loaders, viewer }) => {
      const order = await loaders.order.load(id);
      return order && roleIn(order, viewer) ? order : null;
    },
    purchase: async (order, _args, { loaders }) => (await loaders.purchase.load(order.purchaseId))!,
    statusHistory: (order, _args, { loaders }) => loaders.history.load(order.id),
    buyer: (order) => ({ id: order.buyerId }),
    seller: (order) => ({ id: order.sellerId }),
    items: (order, _args, { loaders }) => loaders.items.load(order.id),
    total: (order) => moneyField({ amount: order.totalAmount, currency: order.currency.trim() }),
    subtotal: (order) => moneyField({ amount: order.subtotalAmount, currency: order.currency.trim() }),
    shipping: (order) => moneyField({ amount: order.shippingAmount, currency: order.currency.trim() }),
    shippingAddress: (order, _args, { viewer }) => (seesAddress(order, viewer) ? order.shippingAddress : null),
    estimatedDelivery: (order) =>
      order.deliveryEarliest && order.deliveryLatest ? { earliest: order.deliveryEarliest, latest: order.deliveryLatest } : null,
    trackingUrl: (order) => trackingUrl(order.carrier, order.trackingNumber),
  },
  OrderItem: {
    listing: (item) => ({ id: item.listingId }),
    unitPrice: (item) => moneyField({ amount: item.unitPrice, currency: item.currency.trim() }),
    total: (item) => moneyField({ amount: item.unitPrice * item.quantity, currency: item.currency.trim() }),
  },
};
