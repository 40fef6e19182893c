import { inBackground } from './background';
import type { Logger } from './logger';

/**
 * Runs `task` every `intervalMs`, never two at once (a slow run delays the next instead of piling
 * up), logging failures and trying again at the next tick. The timer does not keep the process
 * alive. The returned stop waits for a run in progress.
 */
export function startPeriodic(name: string, intervalMs: number, task: () => Promise<unknown>, logger: Logger): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= inBackground(task)
      .then(() => undefined)
      .catch((error: unknown) => logger.warn(`${name} failed; will retry`, { error }))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
