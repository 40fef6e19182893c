import { AsyncLocalStorage } from 'node:async_hooks';
import { detached } from './telemetry/spans';

const marker = new AsyncLocalStorage<true>();

/**
 * Runs work that no request asked for (the outbox relay, periodic jobs): outside any request's
 * trace, and marked, so that what a request costs (its SQL statements) can be told apart from what
 * timers happen to do meanwhile.
 */
export function inBackground<T>(work: () => T): T {
  return marker.run(true, () => detached(work));
}

export const isBackground = (): boolean => marker.getStore() === true;
