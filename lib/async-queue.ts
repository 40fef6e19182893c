/**
 * Turns a push source (an emitter, a socket) into an async iterator whose `return()` detaches from the
 * source at once, even while a consumer is waiting for the next value. An async generator cannot do
 * that: its `finally` runs only when it next yields, so an idle subscription would never let go.
 */
export function pushIterator<T>(attach: (push: (value: T) => void, end: () => void) => () => void): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let done = false;
  let ending = false;
  const detach = attach(
    (value) => {
      if (done || ending) return;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value, done: false });
      } else {
        queue.push(value);
      }
    },
    // the source is finished: what is queued is still delivered, then the iterator ends
    () => {
      ending = true;
      if (waiting) void finish();
    },
  );
  const finish = async (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      detach();
      queue.length = 0;
      waiting?.({ value: undefined, done: true });
      waiting = undefined;
    }
    return { value: undefined, done: true };
  };
  return {
    next: () => {
      if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
      if (done || ending) return finish();
      return new Promise((resolve) => (waiting = resolve));
    },
    return: finish,
    throw: async (error: unknown) => {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
