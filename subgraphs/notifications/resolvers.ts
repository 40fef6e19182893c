import { DateTime } from '../../lib/scalars';
import type { Resolvers } from './generated/resolvers-types';
import { personalData } from './privacy';

/** A user's own fields: the user themself only, null for anyone else (as accounts does for email). */
const own = <T>(user: { id: string }, viewer: { userId: string } | null, value: () => Promise<T>): Promise<T> | null =>
  viewer?.userId === user.id ? value() : null;

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    notificationsPersonalData: async (_root, { userId }, { db }) => JSON.stringify(await personalData(db, userId)),
  },
  Mutation: {
    // @authenticated in the SDL guarantees a viewer here
    markNotificationsRead: (_root, { ids }, { inbox, viewer }) => inbox.markRead(viewer!.userId, ids),
    setNotificationPreference: (_root, { kind, inApp, email }, { preferences, viewer }) => preferences.set(viewer!.userId, kind, inApp, email),
    sendOrderMessage: (_root, { orderId, body }, { messages, viewer }) => messages.send(viewer!, orderId, body),
  },
  Subscription: {
    notificationReceived: {
      subscribe: (_root, _args, { live, viewer }) => live.subscribe(viewer!.userId),
    },
  },
  User: {
    __resolveReference: ({ id }) => ({ id }),
    unreadNotificationCount: (user, _args, { inbox, viewer }) => own(user, viewer, () => inbox.unreadCount(user.id)),
    notifications: (user, { first, after, unreadOnly }, { inbox, viewer }) => own(user, viewer, () => inbox.list(user.id, first, after, unreadOnly)),
    notificationPreferences: (user, _args, { preferences, viewer }) => own(user, viewer, () => preferences.list(user.id)),
  },
  Order: {
    __resolveReference: ({ id }) => ({ id }),
    messages: (order, { first, after }, { messages, viewer }) => messages.list(viewer!, order.id, first, after),
  },
  Notification: {
    order: (notification) => (notification.orderId ? { id: notification.orderId } : null),
  },
  OrderMessage: {
    at: (message) => message.createdAt,
    author: (message) => ({ id: message.authorId }),
  },
};
