import { buildSchema } from '../../lib/server/build-schema';
import type { SubgraphModule } from '../../lib/server/subgraph-module';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import { ordersLoaders, type OrdersContext } from './context';
import { OrderEntity } from './entities';
import { Orders1732000000002 } from './migrations/1732000000002-orders';
import { resolvers } from './resolvers';

export const orders: SubgraphModule<OrdersContext> = {
  name: 'orders',
  defaultPort: defaultPort('orders'),
  entities: [OrderEntity],
  migrations: [Orders1732000000002],
  create({ db }) {
    return {
      name: 'orders',
      schema: buildSchema(loadTypeDefs('orders'), resolvers),
      context: (viewer) => ({ viewer, loaders: ordersLoaders(db) }),
    };
  },
};
