import { createHash } from 'node:crypto';

/** The fields of one audit entry that its hash covers: everything it says, and the hash before it. */
export interface ChainedFields {
  id: string;
  at: Date;
  action: string;
  actorId: string | null;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
  ip: string | null;
  requestId: string | null;
  source: string;
  eventId: string;
  previousHash: string | null;
}

/**
 * A value with its object keys sorted at every depth: the database (jsonb) keeps keys in its own
 * order, so the encoding must not depend on the order they were written in.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

/**
 * The entry's hash: sha256 (hex) of a canonical encoding, a JSON array in a fixed field order, so that
 * anyone can recompute it from a row without this code (`npm run audit -- verify` does). The first
 * entry's previous hash is null.
 */
export function chainHash(entry: ChainedFields): string {
  const encoded = JSON.stringify([
    'audit-v1',
    entry.id,
    entry.at.toISOString(),
    entry.action,
    entry.actorId,
    entry.targetType,
    entry.targetId,
    canonical(entry.details),
    entry.ip,
    entry.requestId,
    entry.source,
    entry.eventId,
    entry.previousHash,
  ]);
  return createHash('sha256').update(encoded, 'utf8').digest('hex');
}

/** What is wrong with one link of a chain, or null when it holds. */
export function brokenLink(entry: ChainedFields & { hash: string }, previous: { id: string; hash: string } | null): string | null {
  const expectedPrevious = previous?.hash ?? null;
  if (entry.previousHash !== expectedPrevious) {
    return previous
      ? `its previous_hash is not the hash of entry ${previous.id} (an entry was removed, inserted or altered before it)`
      : 'it is the first entry but has a previous_hash';
  }
  if (chainHash(entry) !== entry.hash) return 'its hash does not match its contents (the entry was altered)';
  return null;
}
