import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { Client } from 'pg';
import { inSpan } from './spans';

const OPERATION = /^\s*(\w+)/;
/** The table a plain statement works on (the first after INTO, UPDATE or FROM), for the span's name. */
const TABLE = /\b(?:INTO|UPDATE|FROM)\s+"?(\w+)"?/i;

/**
 * A pg client whose statements are CLIENT spans of the request or event being handled (none for
 * background polling outside a trace). TypeORM's pool builds its connections from it. The text is
 * the parameterised statement: values (passwords, card data) never reach a span.
 */
export function tracedPgClient(tracer: Tracer, database: string): typeof Client {
  class TracedClient extends Client {}
  const query = Client.prototype.query;
  TracedClient.prototype.query = function (this: Client, text: unknown, values?: unknown, callback?: unknown) {
    // only the promise form TypeORM uses is traced; streams and callbacks go straight through
    const untraced = typeof text !== 'string' || typeof values === 'function' || callback !== undefined || !trace.getSpan(context.active())?.isRecording();
    if (untraced) return (query as (...args: unknown[]) => unknown).call(this, text, values, callback);
    const operation = OPERATION.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
    const table = TABLE.exec(text)?.[1];
    return inSpan(
      tracer,
      `${operation} ${table ?? database}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'postgresql',
          'db.namespace': database,
          'db.operation.name': operation,
          ...(table ? { 'db.collection.name': table } : {}),
          'db.query.text': text,
        },
      },
      () => (query as (...args: unknown[]) => Promise<unknown>).call(this, text, values),
    );
  } as typeof Client.prototype.query;
  return TracedClient;
}
