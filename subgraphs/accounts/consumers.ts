import type { DataSource } from 'typeorm';
import { isEvent } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import type { EventEnvelope } from '../../lib/events/types';
import { appendAuditEvent } from './audit-log';

/**
 * The events accounts acts on: every subgraph's AuditRecorded (its own included), appended to the
 * audit log. handleOnce and the log's unique event id each make a duplicate delivery append once.
 */
export async function onAccountsEvent(db: DataSource, event: EventEnvelope): Promise<void> {
  if (!isEvent(event, 'AuditRecorded')) return;
  await handleOnce(db, 'accounts', event, async (manager) => {
    await appendAuditEvent(manager, event);
  });
}
