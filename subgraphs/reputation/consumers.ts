import type { DataSource, EntityManager } from 'typeorm';
import { isEvent, type EventPayloads } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import type { EventEnvelope } from '../../lib/events/types';
import { isUuid } from '../../lib/ids';
import { recordOrderStatus, wellFormed } from './known-orders';
import { forgetAccount } from './privacy';
import { recordListingRemoved, recordListingReport, wellFormedRemoval, wellFormedReport } from './reports';

/**
 * When an account was made, for the fake-review signals' "new account". Accounts made before
 * reputation listened have no row and are never treated as new.
 */
async function recordAccount(manager: EntityManager, user: EventPayloads['UserRegistered']): Promise<void> {
  await manager.query(`INSERT INTO known_accounts (user_id, created_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`, [user.userId, new Date(user.at)]);
}

const wellFormedUser = (user: EventPayloads['UserRegistered']) => isUuid(user.userId) && !Number.isNaN(Date.parse(user.at));

/** What reputation does with other subgraphs' events: each one once, whatever order they come in. */
export async function onReputationEvent(db: DataSource, event: EventEnvelope): Promise<void> {
  const once = (handler: (manager: EntityManager) => Promise<void>) => handleOnce(db, 'reputation', event, handler);
  if (isEvent(event, 'OrderStatusChanged') && wellFormed(event.payload)) await once((m) => recordOrderStatus(m, event.payload));
  else if (isEvent(event, 'UserRegistered') && wellFormedUser(event.payload)) await once((m) => recordAccount(m, event.payload));
  else if (isEvent(event, 'ListingReported') && wellFormedReport(event.payload)) await once((m) => recordListingReport(m, event.payload));
  else if (isEvent(event, 'ListingRemoved') && wellFormedRemoval(event.payload)) await once((m) => recordListingRemoved(m, event.payload));
  else if (isEvent(event, 'AccountDeleted') && isUuid(event.payload.userId)) await once((m) => forgetAccount(m, event.payload.userId, event.payload.sellerId));
}
