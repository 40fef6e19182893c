import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { affectedRows } from '../../lib/db/affected';
import type { Money } from '../../lib/money';
import { PaymentRefusedError, type CardResult, type PaymentProvider, type ProviderRecord } from './provider';

/** Stripe's test cards: https://docs.stripe.com/testing */
const SUCCEEDS = '4242424242424242';
const DECLINED = '4000000000000002';

/** Remembered answers per idempotency key; old keys are forgotten first. */
const REMEMBERED_KEYS = 10_000;

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

/**
 * The test provider's own records, kept apart from payments' (as Stripe keeps its own), so that
 * reconciliation has something of the provider's to compare with.
 */
export interface TestProviderRecords {
  /** Writes the record, or replaces the one with its reference. */
  put(record: ProviderRecord): Promise<void>;
  get(reference: string): Promise<ProviderRecord | null>;
  since(since: Date): AsyncIterable<ProviderRecord>;
  /**
   * Counts `amount` more reversed of a transfer, as Stripe's amount_reversed does; false (and nothing counted)
   * when no transfer has that reference or less than `amount` is left of it. The record's amount stays what was
   * transferred: reconciliation compares that.
   */
  reverse(reference: string, amount: number): Promise<boolean>;
}

/** In memory: a provider of a test's own. */
export class MemoryProviderRecords implements TestProviderRecords {
  private readonly records = new Map<string, ProviderRecord>();
  private readonly reversed = new Map<string, number>();
  async put(record: ProviderRecord) {
    this.records.set(record.reference, record);
  }
  async reverse(reference: string, amount: number) {
    const transfer = this.records.get(reference);
    const reversed = this.reversed.get(reference) ?? 0;
    if (transfer?.kind !== 'transfer' || reversed + amount > transfer.amount) return false;
    this.reversed.set(reference, reversed + amount);
    return true;
  }
  async get(reference: string) {
    return this.records.get(reference) ?? null;
  }
  async *since(since: Date) {
    for (const record of this.records.values()) if (record.createdAt >= since) yield record;
  }
}

/** In a table of payments' database (test_provider_records), so that they outlive a restart as Stripe's do. */
export class TableProviderRecords implements TestProviderRecords {
  constructor(private readonly db: DataSource) {}

  async put(r: ProviderRecord) {
    await this.db.transaction((m) =>
      m.query(
        `INSERT INTO test_provider_records (reference, kind, our_id, amount, currency, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (reference) DO UPDATE SET amount = excluded.amount, state = excluded.state`,
        [r.reference, r.kind, r.ourId, r.amount, r.currency, r.state, r.createdAt],
      ),
    );
  }

  async reverse(reference: string, amount: number) {
    // one statement: two reversals at once cannot both take the last of a transfer
    const result: unknown = await this.db.transaction((m) =>
      m.query(`UPDATE test_provider_records SET reversed = reversed + $2 WHERE reference = $1 AND kind = 'transfer' AND reversed + $2 <= amount`, [
        reference,
        amount,
      ]),
    );
    return affectedRows(result) > 0;
  }

  async get(reference: string) {
    const rows: Row[] = await this.db.transaction((m) => m.query(`SELECT * FROM test_provider_records WHERE reference = $1`, [reference]));
    return rows[0] ? recordOf(rows[0]) : null;
  }

  async *since(since: Date) {
    const rows: Row[] = await this.db.transaction((m) => m.query(`SELECT * FROM test_provider_records WHERE created_at >= $1 ORDER BY created_at`, [since]));
    yield* rows.map(recordOf);
  }
}

interface Row {
  reference: string;
  kind: ProviderRecord['kind'];
  our_id: string | null;
  amount: number;
  currency: string;
  state: ProviderRecord['state'];
  created_at: Date;
}

const recordOf = (r: Row): ProviderRecord => ({
  reference: r.reference,
  kind: r.kind,
  ourId: r.our_id,
  amount: r.amount,
  currency: r.currency,
  state: r.state,
  createdAt: r.created_at,
});

/**
 * The embedded default: an in-process stand-in for Stripe that moves no money. It answers like
 * Stripe (pi_… references, pi_…_secret_… client secrets, the test card numbers), like Stripe answers a
 * repeated idempotency key with the first answer, and keeps its own records of what it did.
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly name = 'test';
  private readonly answers = new Map<string, unknown>();

  constructor(private readonly records: TestProviderRecords = new MemoryProviderRecords()) {}

  async createPayment(input: { purchaseId: string; amount: Money; idempotencyKey: string }) {
    return this.once(input.idempotencyKey, async () => {
      const reference = id('pi');
      await this.records.put({
        kind: 'payment',
        reference,
        ourId: input.purchaseId,
        amount: input.amount.amount,
        currency: input.amount.currency,
        state: 'pending',
        createdAt: new Date(),
      });
      return { reference, clientSecret: `${reference}_secret_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}` };
    });
  }

  async updateAmount(input: { reference: string; amount: Money }): Promise<void> {
    const record = await this.records.get(input.reference);
    if (record?.state !== 'pending') return; // paid meanwhile: as Stripe, the amount no longer changes
    await this.records.put({ ...record, amount: input.amount.amount, state: input.amount.amount === 0 ? 'canceled' : 'pending' });
  }

  async confirmWithCard(input: { reference: string; amount: Money; card: string; idempotencyKey: string }): Promise<CardResult> {
    const card = input.card.replace(/[\s-]/g, '');
    if (card === DECLINED) return { outcome: 'declined', message: 'Your card was declined.' };
    if (card !== SUCCEEDS) {
      return { outcome: 'invalid_card', message: `The test provider accepts Stripe's test cards ${SUCCEEDS} and ${DECLINED}` };
    }
    return this.once(input.idempotencyKey, async () => {
      const record = await this.records.get(input.reference);
      if (record) await this.records.put({ ...record, amount: input.amount.amount, state: 'succeeded' });
      return { outcome: 'succeeded' as const, chargeReference: id('ch') };
    });
  }

  async refund(input: { amount: Money; reverseTransfer?: { transferReference: string; amount: number }; metadata: Record<string, string>; idempotencyKey: string }) {
    return this.once(input.idempotencyKey, async () => {
      // the seller's share first comes back from their transfer, as with Stripe; refused, nothing is refunded
      const reversal = input.reverseTransfer;
      if (reversal?.amount && !(await this.records.reverse(reversal.transferReference, reversal.amount))) {
        throw new PaymentRefusedError(`the test provider cannot reverse ${reversal.amount} of transfer ${reversal.transferReference}`);
      }
      const reference = id('re');
      const voids = input.metadata.voids_payment;
      await this.records.put({
        kind: 'refund',
        reference,
        ourId: input.metadata.refund_id ?? (voids ? `void:${voids}` : null),
        amount: input.amount.amount,
        currency: input.amount.currency,
        state: 'succeeded',
        createdAt: new Date(),
      });
      return { reference };
    });
  }

  async transfer(input: { amount: Money; transferId: string; idempotencyKey: string }) {
    return this.once(input.idempotencyKey, async () => {
      const reference = id('tr');
      await this.records.put({
        kind: 'transfer',
        reference,
        ourId: input.transferId,
        amount: input.amount.amount,
        currency: input.amount.currency,
        state: 'succeeded',
        createdAt: new Date(),
      });
      return { reference };
    });
  }

  /** Like Stripe: refused when the transfer is unknown or has less left than asked. */
  async reverseTransfer(input: Parameters<PaymentProvider['reverseTransfer']>[0]) {
    return this.once(input.idempotencyKey, async () => {
      if (!(await this.records.reverse(input.transferReference, input.amount.amount))) {
        throw new PaymentRefusedError(`the test provider cannot reverse ${input.amount.amount} of transfer ${input.transferReference}`);
      }
      return { reference: id('trr') };
    });
  }

  listRecords(since: Date): AsyncIterable<ProviderRecord> {
    return this.records.since(since);
  }

  /** The first answer to a key, made once even when the same key is asked again while it is being made. */
  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    if (this.answers.has(key)) return this.answers.get(key) as Promise<T>;
    const answer = make();
    this.answers.set(key, answer);
    // a failure is no answer: the key may be asked again
    answer.catch(() => this.answers.delete(key));
    if (this.answers.size > REMEMBERED_KEYS) this.answers.delete(this.answers.keys().next().value!);
    return answer;
  }
}
