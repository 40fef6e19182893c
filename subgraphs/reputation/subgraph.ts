import { ConfigError, optionalString } from '../../lib/config';
import { buildSchema } from '../../lib/server/build-schema';
import type { Env, SubgraphModule } from '../../lib/server/subgraph-module';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import { reputationLoader, type ReputationContext } from './context';
import { ReviewEntity } from './entities';
import { Reputation1732000000004 } from './migrations/1732000000004-reputation';
import { DEFAULT_PRIOR, type ReputationPrior } from './reputation';
import { resolvers } from './resolvers';

function priorFromEnv(env: Env): ReputationPrior {
  const number = (name: string, fallback: number, ok: (x: number) => boolean) => {
    const raw = optionalString(name, env);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || !ok(value)) throw new ConfigError(`${name} is out of range: ${raw}`);
    return value;
  };
  return {
    mean: number('REPUTATION_PRIOR_MEAN', DEFAULT_PRIOR.mean, (x) => x >= 1 && x <= 5),
    weight: number('REPUTATION_PRIOR_WEIGHT', DEFAULT_PRIOR.weight, (x) => x >= 0),
  };
}

export const reputation: SubgraphModule<ReputationContext> = {
  name: 'reputation',
  defaultPort: defaultPort('reputation'),
  entities: [ReviewEntity],
  migrations: [Reputation1732000000004],
  create({ db, env }) {
    const prior = priorFromEnv(env);
    return {
      name: 'reputation',
      schema: buildSchema(loadTypeDefs('reputation'), resolvers),
      context: (viewer) => ({ viewer, loaders: { reputation: reputationLoader(db, prior) } }),
    };
  },
};
