import { randomBytes } from 'node:crypto';
import type { CardResult, PaymentProvider } from './provider';

/** Stripe's test cards: https://docs.stripe.com/testing */
const SUCCEEDS = '4242424242424242';
const DECLINED = '4000000000000002';

/** Remembered answers per idempotency key; old keys are forgotten first. */
const REMEMBERED_KEYS = 10_000;

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

/**
 * The embedded default: an in-process stand-in for Stripe that moves no money. It answers like
 * Stripe (pi_… references, pi_…_secret_… client secrets, the test card numbers) and, like Stripe,
 * answers a repeated idempotency key with the first answer.
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly name = 'test';
  private readonly answers = new Map<string, unknown>();

  async createPayment(input: { idempotencyKey: string }) {
    return this.once(input.idempotencyKey, () => {
      const reference = id('pi');
      return { reference, clientSecret: `${reference}_secret_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}` };
    });
  }

  async updateAmount(): Promise<void> {
    // the amount to charge arrives with the confirmation: nothing is kept here
  }

  async confirmWithCard(input: { card: string; idempotencyKey: string }): Promise<CardResult> {
    const card = input.card.replace(/[\s-]/g, '');
    if (card === DECLINED) return { outcome: 'declined', message: 'Your card was declined.' };
    if (card !== SUCCEEDS) {
      return { outcome: 'invalid_card', message: `The test provider accepts Stripe's test cards ${SUCCEEDS} and ${DECLINED}` };
    }
    return this.once(input.idempotencyKey, () => ({ outcome: 'succeeded' as const, chargeReference: id('ch') }));
  }

  async refund(input: { idempotencyKey: string }) {
    return this.once(input.idempotencyKey, () => ({ reference: id('re') }));
  }

  async transfer(input: { idempotencyKey: string }) {
    return this.once(input.idempotencyKey, () => ({ reference: id('tr') }));
  }

  private once<T>(key: string, make: () => T): T {
    if (this.answers.has(key)) return this.answers.get(key) as T;
    const answer = make();
    this.answers.set(key, answer);
    if (this.answers.size > REMEMBERED_KEYS) this.answers.delete(this.answers.keys().next().value!);
    return answer;
  }
}
