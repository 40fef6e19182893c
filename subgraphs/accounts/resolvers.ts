import { DateTime } from '../../lib/scalars';
import { inBookOrder } from './addresses';
import type { Resolvers } from './generated/resolvers-types';

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    me: (_root, _args, { viewer, loaders }) => (viewer ? loaders.user.load(viewer.userId) : null),
    seller: (_root, { id }, { loaders }) => loaders.seller.load(id),
    deliveryAddress: (_root, { userId, addressId }, { addresses }) => addresses.forDelivery(userId, addressId),
    contact: async (_root, { userId }, { loaders }) => {
      const user = await loaders.user.load(userId);
      return user && !user.deletedAt ? { email: user.email, displayName: user.displayName } : null;
    },
    // @requiresScopes(operator) in the SDL guarantees a viewer here; the service checks the scope again
    auditLog: (_root, { filter, first, after }, { auditLog, viewer }) => auditLog.page(viewer!, filter, first, after),
  },
  Mutation: {
    signUp: async (_root, { input }, { accounts, selves }) => {
      const result = await accounts.signUp(input);
      selves.add(result.user.id);
      return result;
    },
    logIn: async (_root, { input }, { accounts, selves }) => {
      const result = await accounts.logIn(input);
      selves.add(result.user.id);
      return result;
    },
    refreshSession: (_root, { refreshToken }, { security }) => security.refreshSession(refreshToken),
    logOut: (_root, { refreshToken }, { security }) => security.logOut(refreshToken),
    requestPasswordReset: (_root, { email }, { security }) => security.requestPasswordReset(email),
    resetPassword: async (_root, { token, newPassword, code }, { security, selves }) => {
      const result = await security.resetPassword(token, newPassword, code);
      selves.add(result.user.id);
      return result;
    },
    verifyEmail: async (_root, { token }, { security, selves }) => {
      // whoever holds the link holds the mailbox: they may see the address they verified
      const user = await security.verifyEmail(token);
      selves.add(user.id);
      return user;
    },
    // @authenticated in the SDL guarantees a viewer here
    changePassword: (_root, { currentPassword, newPassword }, { security, viewer }) => security.changePassword(viewer!, currentPassword, newPassword),
    resendVerificationEmail: (_root, _args, { security, viewer }) => security.resendVerification(viewer!),
    enableTwoFactor: (_root, _args, { security, viewer }) => security.enableTwoFactor(viewer!),
    confirmTwoFactor: (_root, { code }, { security, viewer }) => security.confirmTwoFactor(viewer!, code),
    disableTwoFactor: (_root, { code }, { security, viewer }) => security.disableTwoFactor(viewer!, code),
    deleteMyAccount: (_root, { password }, { privacy, viewer }) => privacy.deleteAccount(viewer!, password),
    becomeSeller: (_root, { input }, { accounts, viewer }) => accounts.becomeSeller(viewer!, input),
    // @requiresScopes(operator) in the SDL; the service checks the operator again
    suspendSeller: (_root, { sellerId, reason }, { standing, viewer }) => standing.suspend(viewer!, sellerId, reason),
    reinstateSeller: (_root, { sellerId }, { standing, viewer }) => standing.reinstate(viewer!, sellerId),
    addAddress: (_root, { input, makeDefault }, { addresses, viewer }) => addresses.add(viewer!, input, makeDefault ?? false),
    removeAddress: (_root, { id }, { addresses, viewer }) => addresses.remove(viewer!, id),
  },
  User: {
    __resolveReference: ({ id }, { loaders }) => loaders.user.load(id),
    email: (user, _args, { selves }) => (selves.has(user.id) ? user.email : null),
    seller: (user, _args, { loaders }) => loaders.sellerOfUser.load(user.id),
    addresses: async (user, _args, { selves, loaders }) => (selves.has(user.id) ? inBookOrder(await loaders.addressesOfUser.load(user.id)) : null),
    emailVerified: (user, _args, { selves }) => (selves.has(user.id) ? user.emailVerifiedAt !== null : null),
    twoFactorEnabled: (user, _args, { selves }) => (selves.has(user.id) ? user.twoFactorEnabledAt !== null : null),
    // the viewer only: not someone who just signed up or in within this request (they have no export to ask for yet)
    exportData: (user, _args, { viewer, privacy }) => (viewer?.userId === user.id ? privacy.exportData(user.id) : null),
  },
  AuditEntry: {
    details: (entry) => JSON.stringify(entry.details),
  },
  Seller: {
    __resolveReference: ({ id }, { loaders }) => loaders.seller.load(id),
    user: async (seller, _args, { loaders }) => (await loaders.user.load(seller.userId))!,
  },
};
