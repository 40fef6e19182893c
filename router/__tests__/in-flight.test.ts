import { InFlightReads } from '../execution/in-flight';

interface RawAnswer {
  status: number;
  text: string;
}

/** Identical reads in flight share one request; nothing outlives it. */
function deferred() {
  let resolve!: (answer: RawAnswer) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<RawAnswer>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('a read asked again while the first is in flight waits for it; once answered, the next ask sends again', async () => {
  const reads = new InFlightReads<RawAnswer>();
  const first = deferred();
  const send = jest.fn(() => first.promise);
  let shared = 0;
  const a = reads.ask('accounts\nviewer\n{"query":"{ me { id } }"}', send, () => shared++);
  const b = reads.ask('accounts\nviewer\n{"query":"{ me { id } }"}', send, () => shared++);
  expect(send).toHaveBeenCalledTimes(1);
  expect(shared).toBe(1);
  first.resolve({ status: 200, text: '{"data":{"me":{"id":"1"}}}' });
  expect(await a).toEqual(await b);
  expect(reads.size).toBe(0);
  const again = jest.fn(() => Promise.resolve({ status: 200, text: '{"data":{"me":{"id":"1"}}}' }));
  await reads.ask('accounts\nviewer\n{"query":"{ me { id } }"}', again);
  expect(again).toHaveBeenCalledTimes(1);
});

test('another viewer, subgraph or body is another read', async () => {
  const reads = new InFlightReads<RawAnswer>();
  const send = jest.fn(() => new Promise<RawAnswer>((resolve) => setTimeout(() => resolve({ status: 200, text: '{}' }), 10)));
  await Promise.all([
    reads.ask('accounts\nada\n{"query":"{ me { id } }"}', send),
    reads.ask('accounts\ngrace\n{"query":"{ me { id } }"}', send),
    reads.ask('listings\nada\n{"query":"{ me { id } }"}', send),
    reads.ask('accounts\nada\n{"query":"{ me { name } }"}', send),
  ]);
  expect(send).toHaveBeenCalledTimes(4);
});

test('a failure is every waiting asker’s, and is not remembered', async () => {
  const reads = new InFlightReads<RawAnswer>();
  const first = deferred();
  const a = reads.ask('k', () => first.promise);
  const b = reads.ask('k', () => Promise.resolve({ status: 200, text: 'unused' }));
  first.reject(new Error('listings could not be reached'));
  await expect(a).rejects.toThrow('could not be reached');
  await expect(b).rejects.toThrow('could not be reached');
  expect(await reads.ask('k', () => Promise.resolve({ status: 200, text: 'now' }))).toEqual({ status: 200, text: 'now' });
});
