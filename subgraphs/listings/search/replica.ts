import type { DataSource } from 'typeorm';

/**
 * Search reading from a streaming replica, and waiting for it to catch up with the primary. The
 * cache forgets a change only once the replica shows it; otherwise a search on the replica just after
 * the change would put the old answer back under the new generation.
 */
export class Replica {
  constructor(
    private readonly primary: DataSource,
    readonly reader: DataSource,
  ) {}

  /** Waits until the replica has replayed everything the primary had written when called (at most `timeoutMs`). */
  async caughtUp(timeoutMs = 5_000): Promise<boolean> {
    const [{ lsn }]: { lsn: string }[] = await this.primary.query(`SELECT pg_current_wal_lsn()::text AS lsn`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [{ replayed }]: { replayed: boolean | null }[] = await this.reader.query(
        `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS replayed`,
        [lsn],
      );
      if (replayed !== false || Date.now() > deadline) return replayed !== false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
