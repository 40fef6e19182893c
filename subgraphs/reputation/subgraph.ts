import { buildSchema } from '../../lib/server/build-schema';
import type { SubgraphModule } from '../../lib/server/subgraph-module';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import type { ReputationContext } from './context';
import { KnownOrderEntity, ReviewEntity } from './entities';
import { onReputationEvent } from './consumers';
import { reputationLoaders } from './loaders';
import { Reputation1732000000004 } from './migrations/1732000000004-reputation';
import { KnownOrders1732000000006 } from './migrations/1732000000006-known-orders';
import { ReviewModeration1732000000400 } from './migrations/1732000000400-review-moderation';
import { ModerationService } from './moderation';
import { ReportsService } from './reports';
import { reputationConfig } from './config';
import { resolvers } from './resolvers';
import { ReviewsService } from './service';

export const reputation: SubgraphModule<ReputationContext> = {
  name: 'reputation',
  defaultPort: defaultPort('reputation'),
  entities: [ReviewEntity, KnownOrderEntity],
  migrations: [Reputation1732000000004, KnownOrders1732000000006, ReviewModeration1732000000400],
  create({ db, env, bus, outbox }) {
    const { prior, signals } = reputationConfig(env);
    const service = new ReviewsService(db, outbox, prior, signals);
    const reports = new ReportsService(db);
    const moderation = new ModerationService(db, outbox, prior);
    return {
      name: 'reputation',
      schema: buildSchema(loadTypeDefs('reputation'), resolvers),
      context: (viewer) => ({ viewer, db, reviews: service, reports, moderation, loaders: reputationLoaders(db, prior) }),
      // orders' status changes decide who may review what; accounts' ages and listings' reports feed moderation
      background: () => bus.subscribe('reputation', (event) => onReputationEvent(db, event)),
    };
  },
};
