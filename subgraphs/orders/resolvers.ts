import type { OrderStatus, Resolvers } from './generated/resolvers-types';

export const resolvers: Resolvers = {
  Order: {
    // Only the buyer and the seller of an order may see it.
    __resolveReference: async ({ id }, { loaders, viewer }) => {
      const order = await loaders.order.load(id);
      return order && viewer && (order.buyerId === viewer.userId || order.sellerId === viewer.seller?.id) ? order : null;
    },
    status: (order) => order.status as OrderStatus,
  },
};
