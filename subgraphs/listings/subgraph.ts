import { buildSchema } from '../../lib/server/build-schema';
import type { SubgraphModule } from '../../lib/server/subgraph-module';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import { listingsLoaders, type ListingsContext } from './context';
import { CategoryEntity, ListingEntity, SellerProfileEntity, SellerReputationEntity } from './entities';
import { Listings1732000000001 } from './migrations/1732000000001-listings';
import { StockReservations1732000000005 } from './migrations/1732000000005-stock-reservations';
import { SearchReadModel1732000000110 } from './migrations/1732000000110-search-read-model';
import { SellerProfiles1732000000120 } from './migrations/1732000000120-seller-profiles';
import { WordStatistics1732000000130 } from './migrations/1732000000130-word-statistics';
import { CategoryCounts1732000000140 } from './migrations/1732000000140-category-counts';
import { PairCounts1732000000150 } from './migrations/1732000000150-pair-counts';
import { Fulfillment1732000000160 } from './migrations/1732000000160-fulfillment';
import { LowStock1732000000170 } from './migrations/1732000000170-low-stock';
import { TrustAndSafety1732000000510 } from './migrations/1732000000510-trust-and-safety';
import { listingsConfig } from './config';
import { startCommonWordAdmission, startCounterCompaction } from './search/compaction';
import { setUpSearch } from './search/setup';
import { onListingsEvent } from './events';
import { resolvers } from './resolvers';
import { ListingsService } from './service';

/** A function, so that the replica's data source gets the same classes before the module is built. */
function listingsEntities() {
  return [ListingEntity, CategoryEntity, SellerReputationEntity, SellerProfileEntity];
}

export const listings: SubgraphModule<ListingsContext> = {
  name: 'listings',
  defaultPort: defaultPort('listings'),
  entities: listingsEntities(),
  migrations: [
    Listings1732000000001,
    StockReservations1732000000005,
    SearchReadModel1732000000110,
    SellerProfiles1732000000120,
    WordStatistics1732000000130,
    CategoryCounts1732000000140,
    PairCounts1732000000150,
    Fulfillment1732000000160,
    LowStock1732000000170,
    TrustAndSafety1732000000510,
  ],
  async create({ db, bus, env, logger, outbox, internal, metrics }) {
    const config = listingsConfig(env);
    const { search, projection, close } = await setUpSearch(db, listingsEntities(), config, metrics);
    const afterCommit = () => outbox.wake();
    const service = new ListingsService(db, search, projection, afterCommit);
    const sellers = { accounts: internal, priorScore: config.priorScore, through: search.sellers.bind(search) };
    return {
      name: 'listings',
      schema: buildSchema(loadTypeDefs('listings'), resolvers),
      context: (viewer) => ({ viewer, db, listings: service, loaders: listingsLoaders(db, sellers) }),
      async background() {
        const unsubscribe = await bus.subscribe('listings', (event) => onListingsEvent(db, { projection, search, afterCommit }, event));
        const stopCompaction = startCounterCompaction(db, config.counterCompactionMs, logger);
        const stopAdmission = startCommonWordAdmission(db, config.commonWordAdmissionMs, config.commonWords, logger);
        return async () => {
          await stopAdmission();
          await stopCompaction();
          await unsubscribe();
          await close();
        };
      },
    };
  },
};
