import { DEFAULT_PRIOR, type ReputationPrior } from '../../lib/reputation-prior';

export type { ReputationPrior };

/** What `Seller`, `Order` and `User` resolve to in this subgraph: keys, nothing owned elsewhere. */
export interface Ref {
  id: string;
}
export type SellerRef = Ref;
export type OrderRef = Ref;
export type UserRef = Ref;
export type ListingRef = Ref;

export interface RatingCounts {
  /** counts[r - 1] is the number of r-star reviews. */
  counts: [number, number, number, number, number];
}

export interface ReputationSummary {
  score: number;
  averageRating: number | null;
  reviewCount: number;
  ratingDistribution: { rating: number; count: number }[];
}


/**
 * score = (weight · mean + Σ ratings) / (weight + n). With the default prior one 5-star review gives
 * 3.64 while fifty 4.8s give 4.58, so volume of good reviews wins over a lucky first one.
 */
export function summarise({ counts }: RatingCounts, prior: ReputationPrior = DEFAULT_PRIOR): ReputationSummary {
  const reviewCount = counts.reduce((a, b) => a + b, 0);
  const sum = counts.reduce((total, count, i) => total + count * (i + 1), 0);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    score: round((prior.weight * prior.mean + sum) / (prior.weight + reviewCount)),
    averageRating: reviewCount ? round(sum / reviewCount) : null,
    reviewCount,
    ratingDistribution: counts.map((count, i) => ({ rating: i + 1, count })),
  };
}
