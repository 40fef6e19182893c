import type { BaseContext } from '@apollo/server';
import type { Registry } from 'prom-client';
import type { DataSource, MigrationInterface, MixedList } from 'typeorm';
import type { OutboxRelay } from '../events/outbox';
import type { EventBus } from '../events/types';
import type { Logger } from '../logger';
import type { InternalClient } from './internal-client';
import type { SubgraphApp } from './subgraph-server';

export type Env = Record<string, string | undefined>;

export interface SubgraphDeps {
  db: DataSource;
  logger: Logger;
  env: Env;
  /** Where events from other subgraphs arrive; subscribe with the subgraph's name as the group. */
  bus: EventBus;
  /** Publishes what the subgraph wrote to its outbox; wake it after a transaction that recorded events. */
  outbox: OutboxRelay;
  /** Direct, signed calls to other subgraphs' internal fields. */
  internal: InternalClient;
  /** The subgraph's metrics, served at /metrics; register what it measures here. */
  metrics: Registry;
  /**
   * The marketplace's public address (the router's origin, e.g. https://market.example), for links
   * in what it sends people; asked at use time, as the router may start after the subgraph.
   */
  publicUrl: () => string;
}

/** Everything the bootstrap needs to know of one subgraph, so that starting any of them is one function. */
export interface SubgraphModule<TContext extends BaseContext = BaseContext> {
  name: string;
  defaultPort: number;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function>;
  migrations: (new () => MigrationInterface)[];
  create(deps: SubgraphDeps): SubgraphApp<TContext> | Promise<SubgraphApp<TContext>>;
}
