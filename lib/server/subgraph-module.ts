import type { BaseContext } from '@apollo/server';
import type { DataSource, MixedList } from 'typeorm';
import type { Logger } from '../logger';
import type { SubgraphApp } from './subgraph-server';

export type Env = Record<string, string | undefined>;

export interface SubgraphDeps {
  db: DataSource;
  logger: Logger;
  env: Env;
}

/** Everything the bootstrap needs to know of one subgraph, so that starting any of them is one function. */
export interface SubgraphModule<TContext extends BaseContext = BaseContext> {
  name: string;
  defaultPort: number;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function>;
  create(deps: SubgraphDeps): SubgraphApp<TContext> | Promise<SubgraphApp<TContext>>;
}
