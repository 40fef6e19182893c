import type { DataSource } from 'typeorm';

/**
 * Search reading from a streaming replica: how far behind it is, and waiting for it to catch up. The
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

  /** Seconds since the last transaction the replica replayed was committed on the primary (0 when idle and caught up). */
  async lagSeconds(): Promise<number> {
    const [{ lag }]: { lag: number | null }[] = await this.reader.query(
      `SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                   ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END::float8 AS lag`,
    );
    return lag ?? 0;
  }
}
