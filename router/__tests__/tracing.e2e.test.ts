import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { operation } from '../../lib/client/operations';
import { createLogger } from '../../lib/logger';
import { eventually } from '../../lib/testing/eventually';
import { newListing, newSeller, signUp } from '../../lib/testing/marketplace';
import { startTracing, type Tracing } from '../../lib/telemetry/tracing';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * One checkout, followed as operators follow it: the client's `traceparent` on its two requests
 * (check out, then pay) makes one trace, exported over OTLP/HTTP to a receiver in this test, across
 * the router, orders, listings, payments, their SQL, and the event that marks the order paid.
 */
interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  status?: { code?: number };
}
interface ReceivedSpan extends OtlpSpan {
  service: string;
  resource: Record<string, string | undefined>;
}

const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };
const valueOf = (value: OtlpValue) => value.stringValue ?? (value.intValue === undefined ? undefined : String(value.intValue));
const attributes = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map(({ key, value }) => [key, valueOf(value)]));

/** An OTLP/HTTP JSON receiver, as a collector listens on :4318. */
function otlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      contentTypes.add(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const { resource, scopeSpans } of body.resourceSpans) {
        const described = attributes(resource.attributes);
        for (const { spans: batch } of scopeSpans) for (const span of batch) spans.push({ ...span, service: described['service.name'] ?? '', resource: described });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { server, spans, contentTypes };
}

const receiver = otlpReceiver();
let tracing: Tracing | undefined;
let stack: TestStack;
beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.server.address() as AddressInfo;
  // as an operator sets them (this test file has an environment of its own)
  Object.assign(process.env, {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
  });
  tracing = startTracing();
  stack = await startTestStack({ logger: createLogger({}, { level: 'silent' }) });
});
afterAll(async () => {
  await stack?.stop();
  await tracing?.shutdown();
  await new Promise((resolve) => receiver.server.close(resolve));
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

test('a checkout and its payment are one trace across router, orders, listings, payments and the paid event', async () => {
  expect(tracing).toBeDefined();
  const seller = await newSeller(stack.client, { shopName: 'Traced Goods' });
  const listingId = await newListing(seller.client, { title: 'Traced teapot', category: 'home-garden', stock: 3 });
  const buyer = await signUp(stack.client);

  // the buyer's app: one trace for the checkout, a span of its own for each of the two requests
  const traceId = hex(16);
  const checkoutSpan = hex(8);
  const paySpan = hex(8);
  const card = '4242424242424242';
  const checkout = await buyer.client.query<{ checkout: { orders: { id: string }[]; payment: { id: string } } }>(
    operation('Checkout'),
    { input: { items: [{ listingId, quantity: 1 }], idempotencyKey: randomUUID() } },
    { traceparent: `00-${traceId}-${checkoutSpan}-01` },
  );
  expect(checkout.errors).toBeUndefined();
  const { orders, payment } = checkout.data!.checkout;
  const paid = await buyer.client.query(operation('ConfirmTestPayment'), { paymentId: payment.id, card }, { traceparent: `00-${traceId}-${paySpan}-01` });
  expect(paid.errors).toBeUndefined();
  await eventually(async () => {
    const { order } = await buyer.client.ok<{ order: { status: string } }>('Order', { id: orders[0].id });
    expect(order.status).toBe('PAID');
  });

  const byId = new Map<string, ReceivedSpan>();
  const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
  // a consumer's span ends after its work, and so after the order is PAID (notifications' may still be
  // handling the event): wait until it has been exported, and every span's parent with it
  await eventually(async () => {
    await tracing!.flush();
    const exported = inTrace();
    expect(exported.some((span) => span.name === 'process PaymentSucceeded' && span.service === 'orders')).toBe(true);
    const ids = new Set(exported.map((span) => span.spanId));
    expect(exported.filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId)).map((span) => span.parentSpanId).sort()).toEqual([checkoutSpan, paySpan].sort());
  });
  const spans = inTrace();
  for (const span of spans) byId.set(span.spanId, span);
  const one = (service: string, name: string, kind: number, parent?: ReceivedSpan) => {
    const found = spans.filter((s) => s.service === service && s.name === name && s.kind === kind && (!parent || s.parentSpanId === parent.spanId));
    expect(found.map((s) => `${s.service}: ${s.name}`)).toEqual([`${service}: ${name}`]);
    return found[0];
  };
  const ancestors = (span: ReceivedSpan): ReceivedSpan[] => {
    const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
    return parent ? [parent, ...ancestors(parent)] : [];
  };

  // every service of the journey has spans in it, each labelled with its name and the resource given
  for (const service of ['router', 'orders', 'listings', 'payments']) expect(spans.some((s) => s.service === service)).toBe(true);
  expect(spans.every((s) => s.resource['deployment.environment.name'] === 'test')).toBe(true);
  // nothing is orphaned: each span's parent is in the trace, but the two the client made itself
  expect(spans.filter((s) => !s.parentSpanId || !byId.has(s.parentSpanId)).map((s) => s.parentSpanId)).toEqual(
    expect.arrayContaining([checkoutSpan, paySpan]),
  );
  expect(spans.filter((s) => !s.parentSpanId || !byId.has(s.parentSpanId))).toHaveLength(2);

  // check out: router → orders → listings (how the cart ships, then stock reserved, in SQL), → accounts
  // (the delivery address) and → payments (payment opened)
  const checkoutServer = one('router', 'mutation Checkout', KIND.SERVER);
  expect(checkoutServer.parentSpanId).toBe(checkoutSpan);
  expect(attributes(checkoutServer.attributes)).toMatchObject({ 'graphql.operation.name': 'Checkout', 'http.response.status_code': '200' });
  const toOrders = one('router', 'POST orders', KIND.CLIENT);
  expect(ancestors(toOrders)).toContain(checkoutServer);
  // the gateway names its fetch after the client's operation
  const ordersServer = one('orders', 'mutation Checkout__orders__0', KIND.SERVER, toOrders);
  const toListings = spans.filter((s) => s.service === 'orders' && s.name === 'POST listings' && s.kind === KIND.CLIENT && ancestors(s).includes(ordersServer));
  expect(toListings).toHaveLength(2);
  const listingsServers = spans.filter((s) => s.service === 'listings' && s.kind === KIND.SERVER && toListings.some((to) => s.parentSpanId === to.spanId));
  expect(listingsServers).toHaveLength(2);
  const listingsSql = spans.filter((s) => s.service === 'listings' && s.kind === KIND.CLIENT && listingsServers.some((server) => ancestors(s).includes(server)));
  expect(listingsSql.map((s) => attributes(s.attributes)['db.system.name'])).toContain('postgresql');
  expect(listingsSql.some((s) => /^UPDATE /.test(s.name))).toBe(true);
  const toAccounts = spans.find((s) => s.service === 'orders' && s.name === 'POST accounts' && ancestors(s).includes(ordersServer))!;
  expect(spans.some((s) => s.service === 'accounts' && s.kind === KIND.SERVER && s.parentSpanId === toAccounts.spanId)).toBe(true);
  const toPayments = spans.find((s) => s.service === 'orders' && s.name === 'POST payments' && ancestors(s).includes(ordersServer))!;
  expect(spans.some((s) => s.service === 'payments' && s.kind === KIND.SERVER && s.parentSpanId === toPayments.spanId)).toBe(true);

  // pay: router → payments, which records PaymentSucceeded; orders handles it in the same trace and marks the order PAID
  const payServer = one('router', 'mutation ConfirmTestPayment', KIND.SERVER);
  expect(payServer.parentSpanId).toBe(paySpan);
  const published = one('payments', 'publish PaymentSucceeded', KIND.PRODUCER);
  expect(ancestors(published)).toContain(payServer);
  const handled = one('orders', 'process PaymentSucceeded', KIND.CONSUMER, published);
  expect(attributes(handled.attributes)).toMatchObject({ 'messaging.destination.name': 'PaymentSucceeded', 'messaging.consumer.group.name': 'orders' });
  const marked = spans.filter((s) => s.service === 'orders' && s.kind === KIND.CLIENT && /^UPDATE /.test(s.name) && ancestors(s).includes(handled));
  expect(marked.length).toBeGreaterThan(0);

  // statements are recorded without their values: no card number, no password anywhere in the trace
  const exported = JSON.stringify(spans);
  expect(exported).not.toContain(card);
  expect(exported).not.toContain('a long enough password');
  expect([...receiver.contentTypes]).toEqual(['POST /v1/traces application/json']);
});

test('a request without a traceparent starts a trace of its own, which the subgraphs continue', async () => {
  const before = receiver.spans.length;
  const response = await stack.client.op('Categories');
  expect(response.errors).toBeUndefined();
  await eventually(async () => {
    await tracing!.flush();
    expect(receiver.spans.slice(before).some((s) => s.service === 'router' && s.name === 'query Categories')).toBe(true);
  });
  const root = receiver.spans.slice(before).find((s) => s.service === 'router' && s.name === 'query Categories')!;
  expect(root.parentSpanId ?? '').toBe('');
  expect(receiver.spans.some((s) => s.traceId === root.traceId && s.service === 'listings' && s.kind === KIND.SERVER)).toBe(true);
});
