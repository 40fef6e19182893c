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
  // a database just created on the primary reaches the replica a moment later
  for (let attempt = 0; ; attempt++) {
    const replica = createDataSource({ url, entities, migrations: [] });
    try {
      await replica.initialize();
      return replica;
    } catch (error) {
      if ((error as { code?: string }).code !== '3D000' || attempt >= 50) throw error; // 3D000: no such database (yet)
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
