import type { DataSource } from 'typeorm';
import type { Logger } from '../../../lib/logger';
import { startPeriodic } from '../../../lib/periodic';
import { admitCommonWords, type CommonWordRule } from './pair-counts';
import { SEARCH_SCHEMA, compactCounters } from './read-model';

/**
 * Folds the search counters' deltas now and then, so that a count reads a handful of rows. Every
 * listings instance may run it: a delta is folded once, whoever gets to it.
 */
export function startCounterCompaction(db: DataSource, intervalMs: number, logger: Logger): () => Promise<void> {
  return startPeriodic('search counter compaction', intervalMs, () => db.transaction((manager) => compactCounters(manager)), logger);
}

/**
 * Words that have grown common get their pairs counted (pair-counts.ts). Every instance may run it:
 * one admits a word, the others then find it admitted.
 */
export function startCommonWordAdmission(db: DataSource, intervalMs: number, rule: CommonWordRule, logger: Logger): () => Promise<void> {
  return startPeriodic(
    'search common word admission',
    intervalMs,
    async () => {
      const words = await db.transaction((manager) => admitCommonWords(manager, SEARCH_SCHEMA, rule));
      if (words.length) logger.info('search counts the pairs of words newly common', { words });
    },
    logger,
  );
}
