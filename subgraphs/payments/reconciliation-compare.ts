import type { ProviderRecord } from './provider';

export type DiscrepancyKind = 'MISSING_AT_PROVIDER' | 'MISSING_HERE' | 'AMOUNT_MISMATCH' | 'STATUS_MISMATCH';

export interface Discrepancy {
  kind: DiscrepancyKind;
  /** The provider's id where there is one (pi_…, re_…, tr_…), else ours. */
  reference: string;
  /** What payments recorded. */
  expected: string | null;
  /** What the provider recorded. */
  actual: string | null;
}

/** One of payments' own records, as reconciliation compares it. */
export interface OurRecord {
  kind: ProviderRecord['kind'];
  /** Our id: the payment's, the refund's, the transfer's. */
  id: string;
  /** The id the provider knows it by in its metadata: the purchase for a payment, else the same id. */
  matchId: string;
  /** The provider's id, when payments knows it. */
  reference: string | null;
  amount: number;
  currency: string;
  status: string;
}

/** Our statuses that mean the money moved at the provider. */
const DONE = new Set(['SUCCEEDED', 'PAID', 'REVERSED']);

const money = (r: { amount: number; currency: string }) => `${r.amount} ${r.currency}`;

/**
 * Compares payments' records with the provider's, both over the same window: each provider record
 * is matched to ours by the id it carries (else by its reference). Provider records from before
 * `windowFrom` only serve as matches. Charges given back on receipt (a refund marked void:<payment>)
 * and their payments are consistent whatever our payment's status. The result is sorted, so that
 * two runs over the same records give the same list.
 */
export function compareRecords(ours: readonly OurRecord[], theirs: readonly ProviderRecord[], windowFrom: Date): { checked: number; discrepancies: Discrepancy[] } {
  const byMatch = new Map(ours.map((o) => [`${o.kind}:${o.matchId}`, o]));
  const byReference = new Map(ours.filter((o) => o.reference).map((o) => [`${o.kind}:${o.reference}`, o]));
  const voided = new Set(theirs.filter((p) => p.kind === 'refund' && p.ourId?.startsWith('void:')).map((p) => p.ourId!.slice('void:'.length)));
  const matched = new Set<OurRecord>();
  const found: Discrepancy[] = [];
  let checked = 0;
  for (const p of theirs) {
    if (p.kind === 'refund' && p.ourId?.startsWith('void:')) continue;
    const o = (p.ourId ? byMatch.get(`${p.kind}:${p.ourId}`) : undefined) ?? byReference.get(`${p.kind}:${p.reference}`);
    if (!o) {
      if (p.state === 'succeeded' && p.createdAt >= windowFrom) {
        checked += 1;
        found.push({ kind: 'MISSING_HERE', reference: p.reference, expected: null, actual: `${p.kind} ${money(p)} ${p.state}` });
      }
      continue;
    }
    checked += 1;
    matched.add(o);
    const ourDone = DONE.has(o.status);
    if (p.state === 'succeeded' && !ourDone) {
      if (p.kind === 'payment' && voided.has(o.id)) continue;
      // a charge that never reached our books is money missing here; a refund or transfer we hold as unfinished is a status
      found.push(
        p.kind === 'payment'
          ? { kind: 'MISSING_HERE', reference: p.reference, expected: `payment ${o.status}`, actual: `payment ${money(p)} succeeded` }
          : { kind: 'STATUS_MISMATCH', reference: p.reference, expected: o.status, actual: p.state },
      );
    } else if (ourDone && p.state !== 'succeeded') {
      found.push({ kind: 'STATUS_MISMATCH', reference: p.reference, expected: o.status, actual: p.state });
    } else if (ourDone && (p.amount !== o.amount || p.currency !== o.currency)) {
      found.push({ kind: 'AMOUNT_MISMATCH', reference: p.reference, expected: money(o), actual: money(p) });
    }
  }
  for (const o of ours) {
    if (matched.has(o)) continue;
    checked += 1;
    if (DONE.has(o.status)) found.push({ kind: 'MISSING_AT_PROVIDER', reference: o.reference ?? o.id, expected: `${o.kind} ${money(o)} ${o.status}`, actual: null });
  }
  found.sort((a, b) => a.kind.localeCompare(b.kind) || a.reference.localeCompare(b.reference));
  return { checked, discrepancies: found };
}
