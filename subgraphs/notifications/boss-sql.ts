import type { EntityManager } from 'typeorm';

type Queryable = Pick<EntityManager, 'query'>;

/** What pg-boss runs its SQL through (its `db` option, and `db` of insert). */
export interface BossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** pg-boss runs its SQL through one of ours: the subgraph's pool, or the transaction a job is made in. */
export function sqlOf(db: Queryable): BossDb {
  return {
    async executeSql(text, values) {
      const result: unknown = await db.query(text, values);
      // TypeORM answers UPDATE and DELETE with [rows, count] (see lib/db/affected)
      const rows = Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : result;
      return { rows: Array.isArray(rows) ? rows : [] };
    },
  };
}

/**
 * pg-boss's own connection to the subgraph's pool, which knows the statements in flight: pg-boss's
 * stop() clears its maintenance timer but does not wait for a maintenance run already under way, so
 * the queue waits here for its last statement before the database may close.
 */
export class TrackedBossDb implements BossDb {
  private readonly running = new Set<Promise<{ rows: unknown[] }>>();
  private readonly sql: BossDb;

  constructor(db: Queryable) {
    this.sql = sqlOf(db);
  }

  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    const statement = this.sql.executeSql(text, values);
    this.running.add(statement);
    const done = () => void this.running.delete(statement);
    statement.then(done, done);
    return statement;
  }

  /** Resolves once no statement is in flight (a statement that ends may have started another: waited for too). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
