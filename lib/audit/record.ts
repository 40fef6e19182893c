import type { EntityManager } from 'typeorm';
import { recordEvent } from '../events/outbox';
import { currentRequest } from '../logger';

/** What an audited action did, and to what. */
export interface AuditedAction {
  /** A dotted name: `seller.suspended`, `dispute.resolved`, `review.moderated`, `user.signed_in`. */
  action: string;
  /** Who did it: a user id, or null for the system and the command line. */
  actorId: string | null;
  /** What it acted on: a dispute decision targets the dispute, a suspension the seller. */
  targetType: string;
  targetId: string;
  /** What else an investigator needs (the decision, the amount, the reason); no secrets. */
  details?: Record<string, unknown>;
}

/**
 * Appends an action to the audit log: an event written in the same transaction as the action itself,
 * so that an action is never done without its entry nor logged without being done. The log's owner
 * hears it and chains it. The client's address and the request id come from the request being served.
 */
export async function recordAudit(manager: EntityManager, source: string, entry: AuditedAction): Promise<void> {
  const request = currentRequest();
  await recordEvent(manager, source, 'AuditRecorded', {
    ...entry,
    details: entry.details ?? {},
    at: new Date().toISOString(),
    ip: request?.clientAddress ?? null,
    requestId: request?.requestId ?? null,
  });
}
