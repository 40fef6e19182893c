import { createHash, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { AppError, ServiceUnavailable, badInput, conflict } from '../../lib/errors';
import { recordEvent } from '../../lib/events/outbox';
import type { InternalClient } from '../../lib/server/internal-client';
import { requiredText } from '../../lib/validation';
import { orderDelivery, type Delivery, type DeliveryInput, type DeliveryPlanner, type Fulfillment } from './delivery';
import { OrderEntity, OrderItemEntity, PurchaseEntity, StatusChangeEntity } from './entities';

export interface CheckoutInput extends DeliveryInput {
  items: { listingId: string; quantity: number }[];
  idempotencyKey: string;
}

interface ReservedLine {
  listingId: string;
  sellerId: string;
  title: string;
  categorySlug: string;
  unitPrice: { amount: number; currency: string };
  quantity: number;
  fulfillment: Fulfillment;
}

const RESERVE = `mutation Reserve($input: ReserveStockInput!) {
  reserveStock(input: $input) { items { listingId sellerId title categorySlug unitPrice { amount currency } quantity fulfillment } }
}`;
const CREATE_PAYMENT = `mutation CreatePayment($input: CreatePaymentInput!) { createPayment(input: $input) { id } }`;

/**
 * Checkout as a saga whose every step is idempotent on the purchase id: claim the idempotency key,
 * settle the delivery (address, and that every seller ships there), reserve stock in listings, write
 * one order per seller, open the payment in payments. A retry, or a concurrent duplicate, resumes
 * where the first call stands and converges on the same purchase. Calls to other subgraphs happen
 * outside database transactions.
 */
export class Checkout {
  constructor(
    private readonly db: DataSource,
    private readonly internal: InternalClient,
    private readonly deliveries: DeliveryPlanner,
    private readonly reservationTtlMs: number,
    private readonly afterCommit: () => void,
    /** Told of every purchase opened (not of retries that find one open), for the checkouts metric. */
    private readonly onOpened: () => void = () => undefined,
  ) {}

  async run(viewer: Viewer, input: CheckoutInput): Promise<PurchaseEntity> {
    const key = requiredText(input.idempotencyKey, 'idempotencyKey', { max: 200 });
    if (input.items.length === 0) throw badInput('items must not be empty', 'items');
    const requestHash = hashCart(input);
    const { purchase, fresh } = await this.claim(viewer.userId, key, requestHash);
    if (purchase.state === 'OPEN') return purchase;

    let delivery: Delivery;
    try {
      delivery = await this.deliveries.plan(viewer.userId, input.items, input);
    } catch (error) {
      // A claim this call made has reserved nothing: it is forgotten, so that the same key may try
      // again once the delivery is put right. A resumed one may hold a reservation: it stays.
      if (fresh && error instanceof AppError && !(error instanceof ServiceUnavailable)) await this.forget(purchase.id);
      throw error;
    }
    let lines: ReservedLine[];
    try {
      const { reserveStock } = await this.internal.call<{ reserveStock: { items: ReservedLine[] } }>('listings', RESERVE, {
        input: { reservationId: purchase.id, buyerSellerId: viewer.seller?.id ?? null, items: input.items },
      });
      lines = reserveStock.items;
    } catch (error) {
      // Nothing was reserved: forget the claim so that the buyer may try again with the same key. When
      // listings could not be reached, stock may have been reserved: the claim stays, and a retry
      // with the same key resumes it (reservations are idempotent on the purchase id).
      if (error instanceof AppError && !(error instanceof ServiceUnavailable)) await this.forget(purchase.id);
      throw error;
    }
    const orders = await this.writeOrders(purchase.id, lines, delivery);
    if (orders.some((o) => o.status !== 'PENDING_PAYMENT')) throw conflict('This checkout expired; start a new one');
    await this.internal.call('payments', CREATE_PAYMENT, {
      input: {
        purchaseId: purchase.id,
        buyerId: viewer.userId,
        currency: orders[0].currency.trim(),
        orders: orders.map((order) => ({
          orderId: order.id,
          sellerId: order.sellerId,
          lines: linesByCategory(lines.filter((l) => l.sellerId === order.sellerId)),
          shipping: order.shippingAmount,
        })),
      },
    });
    await this.db.getRepository(PurchaseEntity).update({ id: purchase.id }, { state: 'OPEN' });
    this.onOpened();
    return { ...purchase, state: 'OPEN', currency: orders[0].currency, totalAmount: sum(orders.map((o) => o.totalAmount)) };
  }

  private async forget(purchaseId: string): Promise<void> {
    await this.db.getRepository(PurchaseEntity).delete({ id: purchaseId, state: 'RESERVING' });
  }

  /**
   * The buyer's purchase for this key: a new one (`fresh`), or the one a previous call with the same
   * cart made.
   */
  private async claim(buyerId: string, key: string, requestHash: string): Promise<{ purchase: PurchaseEntity; fresh: boolean }> {
    const purchases = this.db.getRepository(PurchaseEntity);
    const now = new Date();
    const id = randomUUID();
    await purchases
      .createQueryBuilder()
      .insert()
      .values({
        id,
        buyerId,
        idempotencyKey: key,
        requestHash,
        state: 'RESERVING',
        expiresAt: new Date(now.getTime() + this.reservationTtlMs),
        createdAt: now,
      })
      .orIgnore()
      .execute();
    const purchase = await purchases.findOneByOrFail({ buyerId, idempotencyKey: key });
    if (purchase.requestHash !== requestHash) throw conflict('This idempotencyKey was used for another cart');
    return { purchase, fresh: purchase.id === id };
  }

  /** One order per seller, PENDING_PAYMENT, with its items priced as listings reserved them and its delivery. */
  private async writeOrders(purchaseId: string, lines: ReservedLine[], delivery: Delivery): Promise<OrderEntity[]> {
    const orders = await this.db.transaction(async (manager) => {
      const purchase = await manager.getRepository(PurchaseEntity).findOne({ where: { id: purchaseId }, lock: { mode: 'pessimistic_write' } });
      if (!purchase) throw conflict('This checkout was abandoned; try again');
      const existing = await manager.getRepository(OrderEntity).find({ where: { purchaseId }, order: { sellerId: 'ASC' } });
      if (purchase.state !== 'RESERVING') return { written: false, orders: existing };

      const now = new Date();
      const bySeller = groupBy(lines, (l) => l.sellerId);
      const written: OrderEntity[] = [];
      for (const [sellerId, sellerLines] of [...bySeller].sort(([a], [b]) => a.localeCompare(b))) {
        const subtotalAmount = sum(sellerLines.map((l) => l.unitPrice.amount * l.quantity));
        const shipped = orderDelivery(delivery, sellerId, { ships: sellerLines.some((l) => l.fulfillment === 'SHIPPING'), subtotal: subtotalAmount }, now);
        const order = manager.getRepository(OrderEntity).create({
          id: randomUUID(),
          purchaseId,
          buyerId: purchase.buyerId,
          sellerId,
          status: 'PENDING_PAYMENT',
          currency: sellerLines[0].unitPrice.currency,
          subtotalAmount,
          ...shipped,
          totalAmount: subtotalAmount + shipped.shippingAmount,
          carrier: null,
          trackingNumber: null,
          cancellationReason: null,
          shippedAt: null,
          createdAt: now,
          updatedAt: now,
        });
        await manager.getRepository(OrderEntity).insert(order);
        await manager.getRepository(OrderItemEntity).insert(
          sellerLines.map((l) => ({
            orderId: order.id,
            listingId: l.listingId,
            title: l.title,
            categorySlug: l.categorySlug,
            quantity: l.quantity,
            unitPrice: l.unitPrice.amount,
            currency: l.unitPrice.currency,
          })),
        );
        await manager.getRepository(StatusChangeEntity).insert({ orderId: order.id, status: 'PENDING_PAYMENT', by: 'BUYER', at: now });
        await recordEvent(manager, 'orders', 'OrderStatusChanged', {
          orderId: order.id,
          purchaseId,
          buyerId: purchase.buyerId,
          sellerId,
          previousStatus: null,
          status: 'PENDING_PAYMENT',
          at: now.toISOString(),
          items: sellerLines.map((l) => ({ listingId: l.listingId, quantity: l.quantity })),
          total: { amount: order.totalAmount, currency: order.currency },
        });
        written.push(order);
      }
      await manager.getRepository(PurchaseEntity).update(
        { id: purchaseId },
        { state: 'ORDERED', currency: written[0].currency, totalAmount: sum(written.map((o) => o.totalAmount)) },
      );
      return { written: true, orders: written };
    });
    if (orders.written) this.afterCommit();
    return orders.orders;
  }
}

/** The cart as the key promises it: same listings and quantities, in any order, to the same place. */
function hashCart({ items, shippingAddressId, shippingAddress }: CheckoutInput): string {
  const normalised = [...items].map((i) => [i.listingId, i.quantity]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  // (a cart without a delivery hashes as carts did before there was one: their retries still match)
  const delivery = shippingAddressId || shippingAddress ? [shippingAddressId ?? null, shippingAddress ?? null] : [];
  return createHash('sha256')
    .update(JSON.stringify(delivery.length ? [normalised, ...delivery] : normalised))
    .digest('hex');
}

/** What payments needs for commission: the order's amount per category. */
function linesByCategory(lines: ReservedLine[]): { categorySlug: string; amount: number }[] {
  return [...groupBy(lines, (l) => l.categorySlug)].map(([categorySlug, ls]) => ({
    categorySlug,
    amount: sum(ls.map((l) => l.unitPrice.amount * l.quantity)),
  }));
}

function groupBy<T>(rows: T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) groups.set(keyOf(row), [...(groups.get(keyOf(row)) ?? []), row]);
  return groups;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
