import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { pushIterator } from '../../lib/async-queue';
import type { RouterContext } from '../gateway';
import { printed } from './event-plan';
import type { OpenSource } from './event-source';

export interface SharedSubscriptions {
  subscribe: OpenSource;
  /** Subscribers listening now. */
  active(): number;
  /** Ends every subscriber's stream. */
  endAll(): Promise<void>;
}

/**
 * Identical subscriptions (same document, variables and viewer) share one source: one upstream
 * subscription and one execution per event, whatever the number of subscribers. What they may see
 * is the same, since the viewer is part of what makes them identical.
 */
export function sharedSubscriptions(openSource: OpenSource): SharedSubscriptions {
  const open = new Set<AsyncIterableIterator<ExecutionResult>>();
  const shared = new Map<string, { listeners: Set<(result: ExecutionResult) => void>; enders: Set<() => void>; source: AsyncIterableIterator<ExecutionResult> }>();
  const subscribe = (args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> | ExecutionResult => {
    const key = JSON.stringify([printed(args.document), args.operationName ?? null, args.variableValues ?? {}, (args.contextValue as RouterContext).viewer]);
    let entry = shared.get(key);
    if (!entry) {
      const source = openSource(args);
      if (!(Symbol.asyncIterator in source)) return source;
      const created = { listeners: new Set<(result: ExecutionResult) => void>(), enders: new Set<() => void>(), source };
      shared.set(key, (entry = created));
      void (async () => {
        for await (const result of source) for (const listener of created.listeners) listener(result);
        if (shared.get(key) === created) shared.delete(key);
        for (const end of created.enders) end();
      })();
    }
    const current = entry;
    const iterator = pushIterator<ExecutionResult>((push, end) => {
      current.listeners.add(push);
      current.enders.add(end);
      return () => {
        current.listeners.delete(push);
        current.enders.delete(end);
        open.delete(iterator);
        // the last subscriber left: release the upstream subscription
        if (current.listeners.size === 0) {
          if (shared.get(key) === current) shared.delete(key);
          void current.source.return?.();
        }
      };
    });
    open.add(iterator);
    return iterator;
  };

  return {
    subscribe,
    active: () => open.size,
    async endAll() {
      for (const iterator of open) await iterator.return?.();
    },
  };
}
