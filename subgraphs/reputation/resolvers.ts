import type { Resolvers } from './generated/resolvers-types';

export const resolvers: Resolvers = {
  Seller: {
    __resolveReference: ({ id }) => ({ id }),
    reputation: (seller, _args, { loaders }) => loaders.reputation.load(seller.id),
  },
};
