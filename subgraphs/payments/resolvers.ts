import type { PaymentStatus, Resolvers } from './generated/resolvers-types';

export const resolvers: Resolvers = {
  Payment: {
    // A payment is the buyer's business only.
    __resolveReference: async ({ id }, { loaders, viewer }) => {
      const payment = await loaders.payment.load(id);
      return payment && viewer && payment.buyerId === viewer.userId ? payment : null;
    },
    status: (payment) => payment.status as PaymentStatus,
  },
};
