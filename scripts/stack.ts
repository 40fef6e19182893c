import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDir } from '../lib/config';
import { DEFAULT_ISSUER } from '../lib/auth/claims';
import { siblingDatabaseUrl } from '../lib/db/data-source';
import { createEventBus } from '../lib/events/bus';
import type { EventBus } from '../lib/events/types';
import type { Logger } from '../lib/logger';
import type { Env, SubgraphModule } from '../lib/server/subgraph-module';
import { startSubgraph, type StartedSubgraph } from '../lib/server/start-subgraph';
import { routerConfigFromEnv, type RouterConfig } from '../router/config';
import { startRouter, type RunningRouter } from '../router/server';
import { accounts } from '../subgraphs/accounts/subgraph';
import { listings } from '../subgraphs/listings/subgraph';
import { orders } from '../subgraphs/orders/subgraph';
import { payments } from '../subgraphs/payments/subgraph';
import { reputation } from '../subgraphs/reputation/subgraph';
import { notifications } from '../subgraphs/notifications/subgraph';
import type { SubgraphName } from '../schema/subgraphs';

/** Every subgraph's module by name: what the stack (and the benchmarks' services) start. */
export const MODULES: Record<SubgraphName, SubgraphModule> = { accounts, listings, orders, payments, reputation, notifications };

export interface StackOptions {
  /** Events through Redis Streams; the in-process bus without it. */
  redisUrl?: string;
  /** Names the Redis stream (`<prefix>:events`), so that stacks sharing a Redis stay apart. */
  eventsPrefix?: string;
  /** A PostgreSQL URL whose database name becomes the prefix of one database per subgraph; embedded PGlite without it. */
  databaseUrl?: string;
  /** Embedded databases in memory only, gone on stop. */
  ephemeral?: boolean;
  routerPort?: number;
  /** Fixed subgraph ports (one process per service uses the defaults); 0 picks free ones. */
  subgraphPorts?: Partial<Record<SubgraphName, number>>;
  routerSecret?: string;
  /** Router settings over the stack's own (for instance how subscriptions reconnect). */
  router?: Partial<RouterConfig>;
  env?: Env;
  logger: Logger;
  onQuery?: (subgraph: SubgraphName, sql: string) => void;
}

export interface Stack {
  routerUrl: string;
  bus: EventBus;
  /** Tests sign requests with it to reach subgraphs directly. */
  routerSecret: string;
  router: RunningRouter;
  /** What the router was started with: tests start more routers from it. */
  routerConfig: RouterConfig;
  subgraphs: Record<SubgraphName, StartedSubgraph>;
  stop(): Promise<void>;
}

/**
 * Every subgraph and the router in one process, each on its own port and database, talking over
 * real HTTP: what `npm start` runs on a fresh machine, and what the end-to-end tests run against.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const env = options.env ?? process.env;
  const secret = options.routerSecret ?? randomBytes(32).toString('base64url');
  const names = Object.keys(MODULES) as SubgraphName[];
  const bus = createEventBus(options.redisUrl, options.logger, options.eventsPrefix);
  // filled once every subgraph listens; internal calls look their peer up when they are made
  const urls: Partial<Record<string, string>> = {};
  // the router starts last; links subgraphs hand out point at it (PUBLIC_URL, when set, names it as the world sees it)
  let routerOrigin: string | undefined;
  const started = await Promise.all(
    names.map((name) =>
      startSubgraph(MODULES[name], {
        databaseUrl: options.databaseUrl ? siblingDatabaseUrl(options.databaseUrl, name) : undefined,
        ephemeral: options.ephemeral,
        port: options.subgraphPorts?.[name] ?? 0,
        routerSecret: secret,
        logger: options.logger,
        bus,
        peerUrl: (peer) => urls[peer] ?? `http://unstarted-${peer}.invalid/graphql`,
        // stacks sharing a Redis keep their keys apart (caches) as they keep their streams apart
        env: options.eventsPrefix ? { ...env, REDIS_PREFIX: options.eventsPrefix } : env,
        onQuery: options.onQuery ? (sql) => options.onQuery!(name, sql) : undefined,
        publicUrl: () => env.PUBLIC_URL?.trim() || routerOrigin || `http://localhost:${options.routerPort ?? 4000}`,
      }),
    ),
  );
  const subgraphs = Object.fromEntries(names.map((name, i) => [name, started[i]])) as Record<SubgraphName, StartedSubgraph>;
  for (const name of names) urls[name] = subgraphs[name].url;
  // partners of a stack without Redis live with its data, or in a file of its own gone on stop
  const partnersFile = options.ephemeral ? join(tmpdir(), `partners-${randomBytes(6).toString('hex')}.json`) : join(dataDir(env), 'partners.json');
  // The router reads the settings README.md documents, as it does in its own process; the stack
  // decides only what it alone knows: where its subgraphs listen and the secret it gave them.
  const fromEnv = routerConfigFromEnv({ ...env, ROUTER_SECRET: secret });
  const config: RouterConfig = {
    ...fromEnv,
    port: options.routerPort ?? 0,
    host: env.HOST ?? '127.0.0.1',
    subgraphUrls: Object.fromEntries(names.map((name) => [name, subgraphs[name].url])),
    // its own accounts issue the tokens; an OIDC issuer configured beside them is honoured too
    tokenSources: [
      {
        jwksUrl: new URL('/.well-known/jwks.json', subgraphs.accounts.url).toString(),
        issuer: env.JWT_ISSUER ?? DEFAULT_ISSUER,
        audience: 'marketplace',
      },
      ...fromEnv.tokenSources.filter((source) => source.jwksUrl !== env.JWT_JWKS_URL),
    ],
    redisUrl: options.redisUrl,
    redisPrefix: options.eventsPrefix ?? fromEnv.redisPrefix,
    partnersFile,
    ...options.router,
  };
  const router = await startRouter(config, options.logger.child({ service: 'router' }));
  routerOrigin = new URL(router.url).origin;
  return {
    routerUrl: router.url,
    bus,
    routerSecret: secret,
    router,
    routerConfig: config,
    subgraphs,
    async stop() {
      await router.stop();
      await Promise.all(started.map((s) => s.stop()));
      await bus.close();
      if (options.ephemeral) rmSync(partnersFile, { force: true });
    },
  };
}
