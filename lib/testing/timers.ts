import { createHook } from 'node:async_hooks';

/**
 * Timers made by code under one path (a dependency's, say), and which of them are still pending: to
 * show that a library's loops end when it is stopped, whatever else the process runs meanwhile. A
 * timer is the code's when the code itself called setTimeout or setInterval (not when it called
 * something else that did: a database driver's timers are the driver's). It is pending from its
 * creation until it fires its last time or is cleared.
 */
export function watchTimers(path: string): { pending(): string[]; stop(): void } {
  const pending = new Map<number, string>();
  const hook = createHook({
    init(asyncId, type) {
      if (type !== 'Timeout') return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 50;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      // the first frame that is neither Node's (timers/promises makes its timer in a promise of its own) nor this
      // hook's: who asked for the timer
      const creator = stack
        .split('\n')
        .slice(1)
        .find((line) => !line.includes('node:') && !line.includes('<anonymous>') && !line.includes(__filename));
      if (creator?.includes(path)) pending.set(asyncId, creator.trim());
    },
    destroy(asyncId) {
      pending.delete(asyncId);
    },
  });
  hook.enable();
  return { pending: () => [...pending.values()], stop: () => void hook.disable() };
}
