import type { DataSource } from 'typeorm';
import type { Logger } from '../../../lib/logger';
import { startPeriodic } from '../../../lib/periodic';
import { compactCounters } from './read-model';

/**
 * Folds the search counters' deltas now and then, so that a count reads a handful of rows. Every
 * listings instance may run it: a delta is folded once, whoever gets to it.
 */
export function startCounterCompaction(db: DataSource, intervalMs: number, logger: Logger): () => Promise<void> {
  return startPeriodic('search counter compaction', intervalMs, () => db.transaction((manager) => compactCounters(manager)), logger);
}
