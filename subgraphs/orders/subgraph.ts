import { Counter } from 'prom-client';
import { buildSchema } from '../../lib/server/build-schema';
import type { SubgraphModule } from '../../lib/server/subgraph-module';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import { Checkout } from './checkout';
import { DeliveryPlanner } from './delivery';
import { ordersConfig } from './config';
import { LiveOrders } from './live';
import { ordersLoaders, type OrdersContext } from './context';
import { DisputeEntity, DisputeMessageEntity, OrderEntity, OrderItemEntity, PurchaseEntity, ShippingRateEntity, StatusChangeEntity } from './entities';
import { DisputeQueries } from './dispute-queries';
import { Disputes } from './disputes';
import { Disputes1732000000300 } from './migrations/1732000000300-disputes';
import { onOrdersEvent } from './events';
import { Orders1732000000002 } from './migrations/1732000000002-orders';
import { ShippingRates1732000000020 } from './migrations/1732000000020-shipping-rates';
import { Delivery1732000000030 } from './migrations/1732000000030-delivery';
import { ExpiryReminders1732000000040 } from './migrations/1732000000040-expiry-reminders';
import { resolvers } from './resolvers';
import { OrdersService } from './service';
import { ShippingRates } from './shipping';
import { startSweeper } from './sweeper';

export const orders: SubgraphModule<OrdersContext> = {
  name: 'orders',
  defaultPort: defaultPort('orders'),
  entities: [PurchaseEntity, OrderEntity, OrderItemEntity, StatusChangeEntity, ShippingRateEntity, DisputeEntity, DisputeMessageEntity],
  migrations: [Orders1732000000002, ShippingRates1732000000020, Delivery1732000000030, ExpiryReminders1732000000040, Disputes1732000000300],
  create({ db, env, bus, outbox, internal, logger, metrics }) {
    const afterCommit = () => outbox.wake();
    const config = ordersConfig(env);
    const checkouts = new Counter({ name: 'checkouts_total', help: 'Purchases opened by checkout (one per cart, of one or more orders)', registers: [metrics] });
    const checkout = new Checkout(db, internal, new DeliveryPlanner(db, internal), config.reservationTtlMs, afterCommit, () => checkouts.inc());
    const service = new OrdersService(db, checkout, afterCommit);
    const disputes = new Disputes(db, internal, afterCommit, logger);
    const disputeQueries = new DisputeQueries(db);
    const live = new LiveOrders(db, logger);
    const shipping = new ShippingRates(db);
    return {
      name: 'orders',
      schema: buildSchema(loadTypeDefs('orders'), resolvers),
      context: (viewer) => {
        const context: OrdersContext = {
          viewer,
          db,
          orders: service,
          disputes,
          disputeQueries,
          shipping,
          live,
          loaders: ordersLoaders(db),
          forgetCachedReads: () => (context.loaders = ordersLoaders(db)),
        };
        return context;
      },
      async background() {
        const unsubscribe = await bus.subscribe('orders', (event) => onOrdersEvent(db, event, afterCommit));
        const stopLive = await live.start(bus);
        const stopSweeper = startSweeper(
          db,
          {
            intervalMs: config.sweepIntervalMs,
            autoConfirmDeliveryMs: config.autoConfirmDeliveryMs,
            expiryReminderMs: config.expiryReminderMs,
            disputeSellerResponseMs: config.disputeSellerResponseMs,
          },
          logger,
          afterCommit,
        );
        return async () => {
          await stopSweeper();
          await stopLive();
          await unsubscribe();
        };
      },
    };
  },
};
