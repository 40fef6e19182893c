import pLimit from 'p-limit';
import { buildSchema } from '../../lib/server/build-schema';
import type { SubgraphModule } from '../../lib/server/subgraph-module';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import { notificationsConfig } from './config';
import type { NotificationsContext } from './context';
import { onNotificationsEvent } from './consumers';
import { EmailQueue } from './email-queue';
import { NotificationEntity, OrderMessageEntity, OrderPartiesEntity, RecipientEntity } from './entities';
import { Inbox } from './inbox';
import { LiveNotifications } from './live';
import { Mailer } from './mailer';
import { OrderMessages } from './messages';
import { Notifications1732000000200 } from './migrations/1732000000200-notifications';
import { Notifier } from './notifier';
import { Preferences } from './preferences';
import { Recipients } from './recipients';
import { resolvers } from './resolvers';
import { UNSUBSCRIBE_PATH, UnsubscribeLinks } from './unsubscribe';

export const notifications: SubgraphModule<NotificationsContext> = {
  name: 'notifications',
  defaultPort: defaultPort('notifications'),
  entities: [RecipientEntity, NotificationEntity, OrderMessageEntity, OrderPartiesEntity],
  migrations: [Notifications1732000000200],
  async create({ db, env, bus, outbox, internal, logger, metrics, publicUrl }) {
    const config = notificationsConfig(env);
    const mailer = new Mailer({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom, connections: config.emailConcurrency }, logger);
    const queue = new EmailQueue(
      db,
      mailer,
      { maxAttempts: config.emailMaxAttempts, retryDelaySeconds: config.emailRetryDelaySeconds, concurrency: config.emailConcurrency },
      logger,
      metrics,
    );
    const recipients = new Recipients(internal);
    const preferences = new Preferences(db);
    const unsubscribe = new UnsubscribeLinks(config.signingKey, publicUrl);
    const notifier = new Notifier(recipients, preferences, queue, unsubscribe, publicUrl, () => outbox.wake());
    const inbox = new Inbox(db);
    const messages = new OrderMessages(db, notifier, recipients, config.messagesPerMinute);
    const live = new LiveNotifications(logger);
    return {
      name: 'notifications',
      schema: buildSchema(loadTypeDefs('notifications'), resolvers),
      context: (viewer) => ({ viewer, db, inbox, preferences, messages, live }),
      routes: { [UNSUBSCRIBE_PATH]: unsubscribe.route(preferences, logger) },
      async background() {
        // before anything can make a notification: the server listens, and events flow, only after this
        await queue.start();
        // A few events at a time: the in-process bus hands every event over at once, and on the embedded
        // database (one connection) hundreds of waiting transactions would starve the email workers.
        const inTurn = pLimit(config.eventConcurrency);
        const unsubscribeEvents = await bus.subscribe('notifications', (event) => inTurn(() => onNotificationsEvent(db, event, recipients, notifier)));
        const stopLive = await live.start(bus);
        return async () => {
          await queue.stop();
          await stopLive();
          await unsubscribeEvents();
        };
      },
    };
  },
};
