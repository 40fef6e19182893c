import 'reflect-metadata';
import { Client } from 'pg';
import type { Tracer } from '@opentelemetry/api';
import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import { tracedPgClient } from '../telemetry/sql';

export interface DatabaseOptions {
  url: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
  /** Called with every SQL statement; tests use it to count queries. */
  onQuery?: (sql: string) => void;
  /** Statements become spans of this service's traces. */
  tracer?: Tracer;
}

/**
 * A TypeORM data source on PostgreSQL with explicit migrations. `synchronize` stays off: the
 * migrations are the schema's one source of truth, on PGlite and on a real server alike.
 */
export function createDataSource(options: DatabaseOptions): DataSource {
  const onQuery = options.onQuery;
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    extra: {
      max: options.poolSize ?? 10,
      ...(options.tracer ? { Client: tracedPgClient(options.tracer, new URL(options.url).pathname.slice(1) || 'postgres') } : {}),
    },
    ...(onQuery
      ? {
          logging: ['query'] as const,
          logger: {
            logQuery: (sql: string) => onQuery(sql),
            logQueryError: () => undefined,
            logQuerySlow: () => undefined,
            logSchemaBuild: () => undefined,
            logMigration: () => undefined,
            log: () => undefined,
          },
        }
      : { logging: false }),
  });
}

/** Opens the data source and brings its schema up to date. */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  await ensureDatabase(options.url);
  const dataSource = createDataSource(options);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}

/**
 * Creates the database a URL names when the server lacks it, so that a fresh PostgreSQL (CI's, a
 * new docker volume) needs no manual setup. PGlite has only one database and always "has" it.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const probe = new Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error; // 3D000: invalid_catalog_name
  } finally {
    await probe.end().catch(() => undefined);
  }
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = new Client({ connectionString: maintenance.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw error; // 42P04: created meanwhile by another process
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = new Client({ connectionString: maintenance.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** The URL of a sibling database on the same server: `postgres://…/shop` → `postgres://…/shop_accounts`. */
export function siblingDatabaseUrl(baseUrl: string, suffix: string): string {
  const url = new URL(baseUrl);
  const base = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'marketplace';
  url.pathname = `/${base}_${suffix}`;
  return url.toString();
}
