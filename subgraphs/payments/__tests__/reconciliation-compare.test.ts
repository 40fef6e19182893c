import type { ProviderRecord } from '../provider';
import { compareRecords, type OurRecord } from '../reconciliation-compare';

const windowFrom = new Date('2026-11-01T00:00:00Z');
const inWindow = new Date('2026-11-15T00:00:00Z');

const theirs = (r: Partial<ProviderRecord> & Pick<ProviderRecord, 'kind' | 'reference'>): ProviderRecord => ({
  ourId: null,
  amount: 1000,
  currency: 'USD',
  state: 'succeeded',
  createdAt: inWindow,
  ...r,
});
const ours = (r: Partial<OurRecord> & Pick<OurRecord, 'kind' | 'id'>): OurRecord => ({
  matchId: r.id,
  reference: null,
  amount: 1000,
  currency: 'USD',
  status: 'SUCCEEDED',
  ...r,
});

describe('comparing our records with the provider’s', () => {
  test('matched by the id a record carries, else by its reference: nothing to report', () => {
    const result = compareRecords(
      [
        ours({ kind: 'payment', id: 'pay1', matchId: 'purchase1', reference: 'pi_1' }),
        ours({ kind: 'refund', id: 'ref1', reference: 're_1', amount: 300 }),
        ours({ kind: 'transfer', id: 'tr1', reference: null, status: 'PAID', amount: 900 }),
      ],
      [
        theirs({ kind: 'payment', reference: 'pi_1', ourId: 'purchase1' }),
        theirs({ kind: 'refund', reference: 're_1', amount: 300 }),
        theirs({ kind: 'transfer', reference: 'tr_x', ourId: 'tr1', amount: 900 }),
      ],
      windowFrom,
    );
    expect(result).toEqual({ checked: 3, discrepancies: [] });
  });

  test('unfinished on either side is a status; unfinished on both is nothing', () => {
    const result = compareRecords(
      [
        ours({ kind: 'refund', id: 'pending-here', status: 'PENDING' }),
        ours({ kind: 'refund', id: 'done-here', status: 'SUCCEEDED' }),
        ours({ kind: 'transfer', id: 'both-pending', status: 'PENDING' }),
      ],
      [
        theirs({ kind: 'refund', reference: 're_a', ourId: 'pending-here' }),
        theirs({ kind: 'refund', reference: 're_b', ourId: 'done-here', state: 'failed' }),
      ],
      windowFrom,
    );
    expect(result.discrepancies).toEqual([
      { kind: 'STATUS_MISMATCH', reference: 're_a', expected: 'PENDING', actual: 'succeeded' },
      { kind: 'STATUS_MISMATCH', reference: 're_b', expected: 'SUCCEEDED', actual: 'failed' },
    ]);
  });

  test('provider records from before the window only serve as matches; unfinished ones of ours are not missing anywhere', () => {
    const early = new Date('2026-10-31T23:59:00Z');
    const result = compareRecords(
      [ours({ kind: 'payment', id: 'unpaid', status: 'REQUIRES_PAYMENT' })],
      [theirs({ kind: 'payment', reference: 'pi_old', createdAt: early }), theirs({ kind: 'transfer', reference: 'tr_new', amount: 5 })],
      windowFrom,
    );
    expect(result.discrepancies).toEqual([{ kind: 'MISSING_HERE', reference: 'tr_new', expected: null, actual: 'transfer 5 USD succeeded' }]);
  });

  test('a charge given back on receipt, and its payment, are consistent', () => {
    const result = compareRecords(
      [ours({ kind: 'payment', id: 'cancelled', matchId: 'purchase2', status: 'CANCELLED' })],
      [
        theirs({ kind: 'payment', reference: 'pi_2', ourId: 'purchase2' }),
        theirs({ kind: 'refund', reference: 're_void', ourId: 'void:cancelled' }),
      ],
      windowFrom,
    );
    expect(result.discrepancies).toEqual([]);
  });
});
