import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { validIds } from '../../lib/ids';
import { summarise, type RatingCounts, type ReputationPrior, type ReputationSummary } from './reputation';

export interface ReputationContext {
  viewer: Viewer | null;
  loaders: { reputation: DataLoader<string, ReputationSummary> };
}

/** Every seller's rating counts in one grouped query, however many sellers a page shows. */
export function reputationLoader(db: DataSource, prior: ReputationPrior): DataLoader<string, ReputationSummary> {
  return new DataLoader(async (sellerIds: readonly string[]) => {
    const ids = validIds(sellerIds);
    const rows: { seller_id: string; rating: number; count: string }[] = ids.length
      ? await db.query(
          `SELECT seller_id, rating, count(*) AS count FROM reviews WHERE seller_id = ANY($1::uuid[]) GROUP BY seller_id, rating`,
          [ids],
        )
      : [];
    const counts = new Map<string, RatingCounts>();
    for (const row of rows) {
      const entry = counts.get(row.seller_id) ?? { counts: [0, 0, 0, 0, 0] };
      entry.counts[row.rating - 1] = Number(row.count);
      counts.set(row.seller_id, entry);
    }
    return sellerIds.map((id) => summarise(counts.get(id) ?? { counts: [0, 0, 0, 0, 0] }, prior));
  });
}
