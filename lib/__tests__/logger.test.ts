import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { createLogger, inRequest } from '../logger';
import { installPropagation } from '../telemetry/tracing';

/** A logger whose lines the test reads back. */
function captured() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ service: 'test' }, { level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { logger, lines };
}

test('credentials and card data never reach a line, at the top or nested', () => {
  const { logger, lines } = captured();
  logger.error('request failed', {
    password: 'hunter2hunter2',
    token: 'eyJhbGciOi.secret.jwt',
    apiKey: 'mk_live_123',
    'x-api-key': 'mk_live_456',
    headers: { authorization: 'Bearer eyJ.secret', cookie: 'session=abc', 'x-viewer-signature': 'sig' },
    input: { card: '4242424242424242', cvc: '123', email: 'ada@example.com' },
    error: { config: { secret: 'router secret' } },
  });
  const text = JSON.stringify(lines);
  for (const secret of ['hunter2', 'eyJhbGciOi', 'mk_live', 'Bearer', 'session=abc', '4242424242424242', '"123"', 'sig"', 'router secret']) {
    expect(text).not.toContain(secret);
  }
  expect(lines[0]).toMatchObject({ level: 'error', msg: 'request failed', service: 'test', password: '[redacted]', input: { card: '[redacted]', email: 'ada@example.com' } });
});

test('every line written during a request carries its ids, from any module, through awaits', async () => {
  const { logger, lines } = captured();
  const inner = logger.child({ subgraph: 'orders' });
  installPropagation();
  const traced = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
  logger.info('before');
  await context.with(traced, () =>
    inRequest({ requestId: 'req-1' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      inner.warn('deep inside');
    }),
  );
  logger.info('after');
  expect(lines.map((line) => [line.msg, line.requestId, line.traceId])).toEqual([
    ['before', undefined, undefined],
    ['deep inside', 'req-1', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['after', undefined, undefined],
  ]);
  expect(lines[1]).toMatchObject({ subgraph: 'orders', level: 'warn' });
});

test('errors keep their message and stack', () => {
  const { logger, lines } = captured();
  logger.error('boom', { error: new Error('it broke') });
  expect(lines[0].error).toMatchObject({ type: 'Error', message: 'it broke', stack: expect.stringContaining('it broke') });
});
