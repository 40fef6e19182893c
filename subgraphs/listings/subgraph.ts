import { reputationPriorFromEnv } from '../../lib/reputation-prior';
import { buildSchema } from '../../lib/server/build-schema';
import type { SubgraphModule } from '../../lib/server/subgraph-module';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import { listingsLoaders, type ListingsContext } from './context';
import { CategoryEntity, ListingEntity, SellerReputationEntity } from './entities';
import { Listings1732000000001 } from './migrations/1732000000001-listings';
import { StockReservations1732000000005 } from './migrations/1732000000005-stock-reservations';
import { onListingsEvent } from './events';
import { resolvers } from './resolvers';
import { ListingsService } from './service';

export const listings: SubgraphModule<ListingsContext> = {
  name: 'listings',
  defaultPort: defaultPort('listings'),
  entities: [ListingEntity, CategoryEntity, SellerReputationEntity],
  migrations: [Listings1732000000001, StockReservations1732000000005],
  create({ db, bus, env }) {
    const service = new ListingsService(db, reputationPriorFromEnv(env).mean);
    return {
      name: 'listings',
      schema: buildSchema(loadTypeDefs('listings'), resolvers),
      context: (viewer) => ({ viewer, listings: service, loaders: listingsLoaders(db) }),
      background: () => bus.subscribe('listings', (event) => onListingsEvent(db, event)),
    };
  },
};
