import { reputationPriorFromEnv, type ReputationPrior } from '../../lib/reputation-prior';
import type { Env } from '../../lib/server/subgraph-module';

/** Every setting the reputation subgraph reads, with its default. */
export interface ReputationConfig {
  /** Where a seller with few reviews starts, and how much evidence moves them (REPUTATION_PRIOR_*). */
  prior: ReputationPrior;
}

export function reputationConfig(env: Env): ReputationConfig {
  return { prior: reputationPriorFromEnv(env) };
}
