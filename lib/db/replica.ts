import type { EntitySchema, MixedList } from 'typeorm';
import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';

/**
 * A read-only data source on a streaming replica: same entities, no migrations (the primary's
 * replicate to it), never written.
 */
export async function openReplica(
  url: string,
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>,
): Promise<DataSource> {
  const replica = createDataSource({ url, entities, migrations: [] });
  await replica.initialize();
  return replica;
}
