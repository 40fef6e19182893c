import { buildSchema } from '../../lib/server/build-schema';
import type { SubgraphModule } from '../../lib/server/subgraph-module';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import { paymentsLoaders, type PaymentsContext } from './context';
import { PaymentEntity } from './entities';
import { Payments1732000000003 } from './migrations/1732000000003-payments';
import { resolvers } from './resolvers';

export const payments: SubgraphModule<PaymentsContext> = {
  name: 'payments',
  defaultPort: defaultPort('payments'),
  entities: [PaymentEntity],
  migrations: [Payments1732000000003],
  create({ db }) {
    return {
      name: 'payments',
      schema: buildSchema(loadTypeDefs('payments'), resolvers),
      context: (viewer) => ({ viewer, loaders: paymentsLoaders(db) }),
    };
  },
};
