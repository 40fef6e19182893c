import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * One execution per event for every subscriber it reaches alike. Each distinct viewer has an upstream
 * subscription of its own (what a subgraph sends may depend on who listens), so one change reaches the
 * router as many messages as there are viewers. Where every fetch of the rest of the plan is `@public`
 * (sent anonymously, the same for anyone: event-fetches.ts), the client's result is a function of the
 * subgraph's message and the variables alone: viewers whose messages are the same, to the byte, share
 * one execution of the plan and one result. What a viewer is not allowed to hear the subgraph never
 * sends them, so nothing is shared that was not already theirs.
 *
 * A result is kept for a few seconds after its event first arrived: the same change reaches a crowd's
 * upstream subscriptions one after another, and a later change is a different message.
 */
export class SharedEventResults {
  private readonly results: LRUCache<string, Promise<ExecutionResult>>;

  constructor(options: { maxResults?: number; ttlMs?: number } = {}) {
    this.results = new LRUCache({ max: options.maxResults ?? 10_000, ttl: options.ttlMs ?? 5_000 });
  }

  /**
   * The result of `event` for subscribers of one plan and variables (`scope`: see scopeOf), run once
   * by `run` for all of them; a run that fails is not kept.
   */
  resultOf(scope: string, event: FormattedExecutionResult, run: () => Promise<ExecutionResult>): Promise<ExecutionResult> {
    const key = `${scope}\n${JSON.stringify(event)}`;
    let result = this.results.get(key);
    if (!result) {
      const running = run();
      this.results.set(key, (result = running));
      running.catch(() => {
        if (this.results.get(key) === running) this.results.delete(key);
      });
    }
    return result;
  }
}

let plans = 0;
const planIds = new WeakMap<object, number>();

/** The scope of subscribers who may share results: one plan, one set of variables. */
export function scopeOf(plan: object, variables: Record<string, unknown>): string {
  let id = planIds.get(plan);
  if (id === undefined) planIds.set(plan, (id = ++plans));
  return `${id}\n${JSON.stringify(variables)}`;
}
