import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { isUniqueViolation } from '../../lib/db/errors';
import { AppError, badInput, conflict, forbidden, notFound } from '../../lib/errors';
import { recordEvent } from '../../lib/events/outbox';
import { isUuid } from '../../lib/ids';
import type { Logger } from '../../lib/logger';
import { isCurrency } from '../../lib/money';
import { splitOrder, type CommissionRules } from './commission';
import type { CommissionRuleBook } from './commission-rules';
import { PaymentEntity, PaymentOrderEntity } from './entities';
import { chargeEntries, postTransaction } from './ledger';
import type { PaymentProvider } from './provider';
import type { RefundView, Refunds } from './refunds';

/** An entity of another subgraph, known here by its key only. */
export interface Ref {
  id: string;
}

export interface CreatePaymentInput {
  purchaseId: string;
  buyerId: string;
  currency: string;
  orders: { orderId: string; sellerId: string; lines: { categorySlug: string; amount: number }[]; shipping?: number | null }[];
}

const MAX_ORDERS = 50;
const MAX_LINES = 50;
/** Amounts travel as GraphQL Int, a signed 32-bit integer. */
const MAX_AMOUNT = 2 ** 31 - 1;
const MAX_CARD = 64;

/** A payment is its buyer's business only. */
export function visiblePayment(payment: PaymentEntity | null, viewer: Viewer | null): PaymentEntity | null {
  return payment && viewer?.userId === payment.buyerId ? payment : null;
}

/** An order's payout: once paid, to the order's buyer and seller only. */
/**
 * An order's money is its buyer's and its seller's business, from the moment the order exists; an
 * order cancelled before payment has none.
 */
export function visiblePayout(payout: PaymentOrderEntity | null, viewer: Viewer | null): PaymentOrderEntity | null {
  if (!payout || !viewer || (payout.cancelled && !payout.chargedAt)) return null;
  return viewer.userId === payout.buyerId || viewer.seller?.id === payout.sellerId ? payout : null;
}

interface PlannedOrder {
  orderId: string;
  sellerId: string;
  amount: number;
  shipping: number;
  fee: number;
  net: number;
  rateBps: number;
}

/**
 * Every rule on the input, checked before anything is written or sent to the provider; the fees by the
 * rules in force and each seller's rate outside categories with their own (`bases`; the default without).
 */
function plan(input: CreatePaymentInput, rules: CommissionRules, bases: ReadonlyMap<string, number>): { currency: string; amount: number; orders: PlannedOrder[] } {
  if (!isUuid(input.purchaseId)) throw badInput('purchaseId must be a UUID', 'purchaseId');
  if (!isUuid(input.buyerId)) throw badInput('buyerId must be a UUID', 'buyerId');
  const currency = input.currency.trim().toUpperCase();
  if (!isCurrency(currency)) throw badInput('currency must be an ISO 4217 code such as USD', 'currency');
  if (input.orders.length === 0) throw badInput('a payment needs at least one order', 'orders');
  if (input.orders.length > MAX_ORDERS) throw badInput(`a payment covers at most ${MAX_ORDERS} orders`, 'orders');
  const seen = new Set<string>();
  const orders = input.orders.map(({ orderId, sellerId, lines, shipping }) => {
    if (!isUuid(orderId) || seen.has(orderId)) throw badInput('every order needs its own UUID', 'orders.orderId');
    seen.add(orderId);
    if (!isUuid(sellerId)) throw badInput('sellerId must be a UUID', 'orders.sellerId');
    if (lines.length === 0 || lines.length > MAX_LINES) throw badInput(`an order has 1 to ${MAX_LINES} lines`, 'orders.lines');
    for (const line of lines) {
      if (!Number.isInteger(line.amount) || line.amount < 1 || line.amount > MAX_AMOUNT) {
        throw badInput('line amounts must be positive whole numbers of minor units', 'orders.lines.amount');
      }
      if (!line.categorySlug.trim()) throw badInput('categorySlug must not be empty', 'orders.lines.categorySlug');
    }
    const shippingAmount = shipping ?? 0;
    if (!Number.isInteger(shippingAmount) || shippingAmount < 0 || shippingAmount > MAX_AMOUNT) {
      throw badInput('shipping must be a whole number of minor units, 0 or more', 'orders.shipping');
    }
    // commission is taken on the items; shipping goes to the seller whole
    const split = splitOrder(
      lines.map((l) => ({ categorySlug: l.categorySlug.trim(), amount: l.amount })),
      rules,
      bases.get(sellerId) ?? rules.defaultBps,
    );
    return {
      orderId,
      sellerId,
      amount: split.amount + shippingAmount,
      shipping: shippingAmount,
      fee: split.fee,
      net: split.net + shippingAmount,
      rateBps: split.rateBps,
    };
  });
  const amount = orders.reduce((sum, o) => sum + o.amount, 0);
  if (amount > MAX_AMOUNT) throw badInput('the purchase is worth more than one payment may be', 'orders');
  return { currency, amount, orders };
}

export class PaymentsService {
  constructor(
    private readonly db: DataSource,
    private readonly provider: PaymentProvider,
    private readonly commission: CommissionRuleBook,
    private readonly refunds: Refunds,
    private readonly afterCommit: () => void,
    private readonly logger: Logger,
    /** Told of every card the provider declined, for the payments metric. */
    private readonly onDeclined: () => void = () => undefined,
  ) {}

  /**
   * The rules in force now and each seller's rate outside categories with their own (their volume
   * tier): fixed into the orders' fees as they are created, never changed after.
   */
  private async ratesFor(input: CreatePaymentInput): Promise<[CommissionRules, Map<string, number>]> {
    const now = new Date();
    const currency = input.currency.trim().toUpperCase();
    const sellers = input.orders.map((o) => o.sellerId).filter(isUuid);
    return this.db.transaction(async (m) => {
      const rules = await this.commission.inForce(now, m);
      // a currency that is not one is refused by plan; it has no tiers meanwhile
      const bases = isCurrency(currency) ? await this.commission.baseRates(m, rules, currency, sellers, now) : new Map<string, number>();
      return [rules, bases];
    });
  }

  /**
   * Opens the payment of a purchase, once: a repeated or concurrent call for the same purchase returns
   * the same payment (the purchase id is unique, and the provider sees the same idempotency key).
   */
  async createPayment(input: CreatePaymentInput): Promise<PaymentEntity> {
    const planned = plan(input, ...(await this.ratesFor(input)));
    const existing = await this.db.transaction((m) => m.getRepository(PaymentEntity).findOneBy({ purchaseId: input.purchaseId }));
    if (existing) return this.samePurchase(existing, input);

    const opened = await this.provider.createPayment({
      purchaseId: input.purchaseId,
      buyerId: input.buyerId,
      amount: { amount: planned.amount, currency: planned.currency },
      idempotencyKey: `payment:${input.purchaseId}`,
    });
    let payment: PaymentEntity;
    try {
      payment = await this.db.transaction(async (manager) => {
        const now = new Date();
        const inserted = await manager
          .createQueryBuilder()
          .insert()
          .into(PaymentEntity)
          .values({
            id: randomUUID(),
            purchaseId: input.purchaseId,
            buyerId: input.buyerId,
            currency: planned.currency,
            amount: planned.amount,
            status: 'REQUIRES_PAYMENT',
            provider: this.provider.name,
            providerRef: opened.reference,
            clientSecret: opened.clientSecret,
            chargeRef: null,
            succeededAt: null,
            createdAt: now,
            updatedAt: now,
          })
          .orIgnore()
          .returning(['id'])
          .execute();
        const id = (inserted.raw as { id: string }[])[0]?.id;
        // a concurrent call won: its payment is the one
        if (!id) return manager.getRepository(PaymentEntity).findOneByOrFail({ purchaseId: input.purchaseId });
        await manager.getRepository(PaymentOrderEntity).insert(
          planned.orders.map((o) => ({
            orderId: o.orderId,
            paymentId: id,
            buyerId: input.buyerId,
            sellerId: o.sellerId,
            currency: planned.currency,
            amount: o.amount,
            platformFee: o.fee,
            net: o.net,
            shipping: o.shipping,
            rateBps: o.rateBps,
            refundedAmount: 0,
            refundedFee: 0,
            status: 'PENDING' as const,
            cancelled: false,
            chargedAt: null,
            releasedAt: null,
            releasedNet: null,
            transferAmount: null,
            transferRef: null,
            transferId: null,
            createdAt: now,
          })),
        );
        return manager.getRepository(PaymentEntity).findOneByOrFail({ id });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('An order of this purchase already belongs to another payment');
      throw error;
    }
    return this.samePurchase(payment, input);
  }

  private samePurchase(payment: PaymentEntity, input: CreatePaymentInput): PaymentEntity {
    if (payment.buyerId !== input.buyerId) throw conflict('This purchase already has a payment of another buyer');
    return payment;
  }

  /**
   * Pays with a test card. The provider is called before any transaction (it moves no money here, and
   * a real provider must not be awaited while rows are locked); a decline changes nothing. The success
   * is then recorded as a provider's webhook would record it.
   */
  async confirmTestPayment(viewer: Viewer, paymentId: string, card: string): Promise<PaymentEntity> {
    if (!this.provider.confirmWithCard) {
      throw badInput(
        `confirmTestPayment works with the test payment provider only; with ${this.provider.name}, the buyer's client confirms the payment with Stripe.js using Payment.clientSecret`,
        'paymentId',
      );
    }
    if (!isUuid(paymentId)) throw notFound('Payment');
    const payment = await this.db.transaction((m) => m.getRepository(PaymentEntity).findOneBy({ id: paymentId }));
    if (!payment) throw notFound('Payment');
    if (payment.buyerId !== viewer.userId) throw forbidden('Only the buyer of this purchase can pay it');
    if (payment.status === 'SUCCEEDED') return payment;
    if (payment.status === 'CANCELLED') throw conflict('Every order of this purchase was cancelled: there is nothing to pay');
    if (card.length > MAX_CARD) throw badInput('card is not a card number', 'card');

    const amount = { amount: payment.amount, currency: payment.currency };
    const result = await this.provider.confirmWithCard({
      reference: payment.providerRef,
      amount,
      card,
      idempotencyKey: `confirm:${payment.id}:${randomUUID()}`,
    });
    if (result.outcome === 'declined') {
      this.onDeclined();
      throw new AppError('PAYMENT_DECLINED', result.message);
    }
    if (result.outcome === 'invalid_card') throw badInput(result.message, 'card');
    return this.recordSuccess(payment.id, result.chargeReference, payment.amount);
  }

  /**
   * The provider captured `charged` for the payment: the payment SUCCEEDED, its orders' money goes
   * into escrow (ledger) and PaymentSucceeded is recorded, in one transaction. Only the first success
   * counts; a charge that no longer matches the payment (a concurrent duplicate, an order cancelled
   * meanwhile) is given back to the buyer.
   */
  async recordSuccess(paymentId: string, chargeRef: string, charged: number): Promise<PaymentEntity> {
    const outcome = await this.db.transaction(async (manager) => {
      const payments = manager.getRepository(PaymentEntity);
      const payment = (await payments.findOne({ where: { id: paymentId }, lock: { mode: 'pessimistic_write' } }))!;
      if (payment.status === 'SUCCEEDED') return { payment, stale: payment.chargeRef !== chargeRef, changed: false };
      if (payment.status === 'CANCELLED' || payment.amount !== charged) return { payment, stale: true, changed: true };

      const orders = await manager.getRepository(PaymentOrderEntity).find({
        where: { paymentId, cancelled: false },
        order: { orderId: 'ASC' },
        lock: { mode: 'pessimistic_write' },
      });
      const now = new Date();
      const changes = { status: 'SUCCEEDED' as const, chargeRef, succeededAt: now, updatedAt: now };
      await payments.update({ id: paymentId }, changes);
      await manager.getRepository(PaymentOrderEntity).update({ paymentId, cancelled: false }, { chargedAt: now });
      await postTransaction(manager, {
        reference: `charge:${paymentId}`,
        kind: 'CHARGE',
        paymentId,
        entries: chargeEntries(payment, orders.map((o) => ({ orderId: o.orderId, sellerId: o.sellerId, fee: o.platformFee, net: o.net }))),
      });
      await recordEvent(manager, 'payments', 'PaymentSucceeded', {
        paymentId,
        purchaseId: payment.purchaseId,
        orderIds: orders.map((o) => o.orderId),
        at: now.toISOString(),
      });
      return { payment: { ...payment, ...changes }, stale: false, changed: false };
    });
    if (!outcome.stale) {
      this.afterCommit();
      return outcome.payment;
    }
    await this.provider.refund({
      reference: outcome.payment.providerRef,
      chargeReference: chargeRef,
      amount: { amount: charged, currency: outcome.payment.currency },
      metadata: { voids_payment: outcome.payment.id },
      idempotencyKey: `void:${chargeRef}`,
    });
    this.logger.warn('a charge that no longer matched its payment was refunded', { paymentId, chargeRef });
    if (outcome.changed) throw conflict('The purchase changed while it was being paid; nothing was charged, please try again');
    return outcome.payment;
  }

  refundOrder(viewer: Viewer, orderId: string, amount: number | null, reason: string | null): Promise<RefundView> {
    return this.refunds.refundOrder(viewer, orderId, amount, reason);
  }
}
