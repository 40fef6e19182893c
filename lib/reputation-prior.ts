import { ConfigError, optionalString } from './config';

/**
 * The prior of the sellers' Bayesian reputation score: a seller starts at `mean` as if it had
 * `weight` reviews of it. Reputation computes scores with it; listings ranks sellers nobody has
 * reviewed yet at `mean`, so both agree on what "no reviews" is worth.
 */
export interface ReputationPrior {
  mean: number;
  weight: number;
}

export const DEFAULT_PRIOR: ReputationPrior = { mean: 3.5, weight: 10 };

export function reputationPriorFromEnv(env: Record<string, string | undefined>): ReputationPrior {
  const number = (name: string, fallback: number, ok: (x: number) => boolean) => {
    const raw = optionalString(name, env);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || !ok(value)) throw new ConfigError(`${name} is out of range: ${raw}`);
    return value;
  };
  return {
    mean: number('REPUTATION_PRIOR_MEAN', DEFAULT_PRIOR.mean, (x) => x >= 1 && x <= 5),
    weight: number('REPUTATION_PRIOR_WEIGHT', DEFAULT_PRIOR.weight, (x) => x >= 0),
  };
}
