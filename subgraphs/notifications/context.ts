import type { Viewer } from '../../lib/auth/viewer';
import type { Inbox } from './inbox';
import type { LiveNotifications } from './live';
import type { OrderMessages } from './messages';
import type { Preferences } from './preferences';
import type { DataSource } from 'typeorm';

export interface NotificationsContext {
  viewer: Viewer | null;
  db: DataSource;
  inbox: Inbox;
  preferences: Preferences;
  messages: OrderMessages;
  live: LiveNotifications;
}
