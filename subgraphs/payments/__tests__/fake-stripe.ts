import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Stripe's API on 127.0.0.1, for the few endpoints the adapter uses. It answers in
 * Stripe's JSON shapes, keeps the objects it made, records every request (path, form body,
 * Idempotency-Key) and, like Stripe, answers a repeated Idempotency-Key with the first answer, or
 * with an idempotency_error when the repeat's parameters differ.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  form: Record<string, string>;
  idempotencyKey: string | undefined;
  /** Answered from the idempotency cache: no new effect. */
  replayed: boolean;
}

type StripeObject = Record<string, unknown> & { id: string; object: string };

class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const newId = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

export class FakeStripe {
  readonly requests: RecordedRequest[] = [];
  readonly objects = new Map<string, StripeObject>();
  private readonly answers = new Map<string, { request: string; status: number; body: unknown }>();
  private readonly failures: { method: string; path: RegExp; failure: StripeFailure }[] = [];
  private readonly lostAnswers: { method: string; path: RegExp; times: number }[] = [];
  private readonly holds: { method: string; path: RegExp; reached: () => void; released: Promise<void> }[] = [];
  private server?: Server;
  port = 0;
  /** The most a list answers per page, whatever limit is asked: small, to make clients page. */
  listPageSize = 100;

  constructor(readonly secretKey: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next request to a matching endpoint fails as Stripe would refuse it. */
  failNext(method: string, path: RegExp, status = 400, code = 'resource_missing', message = 'refused by the test') {
    this.failures.push({ method, path, failure: new StripeFailure(status, 'invalid_request_error', code, message) });
  }

  /**
   * The next `times` requests to a matching endpoint take effect (or are replayed) as usual, and their
   * answer is kept for their Idempotency-Key, but the caller gets a 500 in its place: Stripe did the work
   * and the answer was lost. With Stripe-Should-Retry: false, as Stripe sends on its 500s, so that the
   * library leaves the retry to the caller. `stop` answers again from then on.
   */
  loseNextAnswers(method: string, path: RegExp, times = 1): { stop(): void } {
    const lost = { method, path, times };
    this.lostAnswers.push(lost);
    return { stop: () => void (lost.times = 0) };
  }

  /**
   * The next request to a matching endpoint waits, before Stripe looks at it, until `release`: a call in
   * flight while the test does something else. `reached` settles when it arrives.
   */
  holdNext(method: string, path: RegExp): { reached: Promise<void>; release(): void } {
    let reached!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => (reached = resolve));
    this.holds.push({ method, path, reached, released: new Promise<void>((resolve) => (release = resolve)) });
    return { reached: arrived, release };
  }

  requestsTo(method: string, path: RegExp | string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  ofType(object: string, match: (o: StripeObject) => boolean = () => true): StripeObject[] {
    return [...this.objects.values()].filter((o) => o.object === object && match(o));
  }

  /** What Stripe.js does when the buyer confirms with a card that works: the PaymentIntent succeeds, with a charge. */
  succeed(paymentIntentId: string): StripeObject {
    const intent = this.objects.get(paymentIntentId)!;
    const charge: StripeObject = {
      id: newId('ch'),
      object: 'charge',
      amount: intent.amount,
      amount_refunded: 0,
      currency: intent.currency,
      payment_intent: intent.id,
      paid: true,
      refunded: false,
      transfer_group: intent.transfer_group,
    };
    this.objects.set(charge.id, charge);
    Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, latest_charge: charge.id });
    return { ...intent };
  }

  /** What Stripe does as the seller goes through hosted onboarding: the account changes; a webhook tells the platform. */
  updateAccount(accountId: string, changes: Record<string, unknown>): StripeObject {
    const account = this.objects.get(accountId)!;
    Object.assign(account, changes);
    return structuredClone(account);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const form = Object.fromEntries(new URLSearchParams(method === 'GET' ? new URL(req.url ?? '/', 'http://localhost').search : body));
    const key = req.headers['idempotency-key'] as string | undefined;
    const hold = this.holds.findIndex((h) => h.method === method && h.path.test(path));
    if (hold >= 0) {
      const [held] = this.holds.splice(hold, 1);
      held.reached();
      await held.released;
    }
    const request = `${method} ${path} ${body}`;
    const cached = key ? this.answers.get(key) : undefined;
    this.requests.push({ method, path, form, idempotencyKey: key, replayed: Boolean(cached) });

    const lost = this.lostAnswers.find((l) => l.times > 0 && l.method === method && l.path.test(path));
    if (lost) lost.times -= 1;
    const send = (status: number, answer: unknown, headers: Record<string, string> = {}) => {
      if (lost) {
        res.writeHead(500, { 'content-type': 'application/json', 'request-id': newId('req'), 'stripe-should-retry': 'false' });
        res.end(JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred (the answer was lost by the test)' } }));
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': newId('req'), ...headers });
      res.end(JSON.stringify(answer));
    };
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    if (cached) {
      if (cached.request !== request) {
        return send(400, {
          error: { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with (${key})` },
        });
      }
      return send(cached.status, cached.body, { 'idempotent-replayed': 'true' });
    }
    let status = 200;
    let answer: unknown;
    try {
      const failure = this.failures.findIndex((f) => f.method === method && f.path.test(path));
      if (failure >= 0) throw this.failures.splice(failure, 1)[0].failure;
      answer = this.route(method, path, form);
    } catch (error) {
      if (!(error instanceof StripeFailure)) throw error;
      status = error.status;
      answer = { error: { type: error.type, code: error.code, message: error.message } };
    }
    // Stripe keeps the answers of requests that ran, refusals included
    if (key) this.answers.set(key, { request, status, body: answer });
    send(status, answer);
  }

  private route(method: string, path: string, form: Record<string, string>): unknown {
    const parts = path.split('/').filter(Boolean); // v1, resource, id?, action?
    const [, resource, id, action] = parts;
    if (method === 'POST' && resource === 'payment_intents' && !id) return this.createPaymentIntent(form);
    if (method === 'POST' && resource === 'payment_intents' && id && !action) return this.updatePaymentIntent(this.find(id), form);
    if (method === 'POST' && resource === 'payment_intents' && action === 'cancel') return this.cancelPaymentIntent(this.find(id));
    if (method === 'POST' && resource === 'transfers' && !id) return this.createTransfer(form);
    if (method === 'GET' && resource === 'transfers' && id && !action) return this.find(id);
    if (method === 'POST' && resource === 'transfers' && action === 'reversals') return this.reverseTransfer(this.find(id), form);
    if (method === 'POST' && resource === 'refunds' && !id) return this.createRefund(form);
    if (method === 'POST' && resource === 'accounts' && !id) return this.createAccount(form);
    if (method === 'GET' && resource === 'accounts' && id && !action) return this.find(id);
    if (method === 'POST' && resource === 'account_links' && !id) return this.createAccountLink(form);
    if (method === 'GET' && !id && LISTED[resource]) return this.list(LISTED[resource], path, form);
    throw new StripeFailure(404, 'invalid_request_error', 'resource_missing', `Unrecognized request URL (${method}: ${path})`);
  }

  private find(id: string): StripeObject {
    const found = this.objects.get(id);
    if (!found) throw new StripeFailure(404, 'invalid_request_error', 'resource_missing', `No such object: '${id}'`);
    return found;
  }

  private save(object: StripeObject): StripeObject {
    object.created ??= Math.floor(Date.now() / 1000);
    this.objects.set(object.id, object);
    return object;
  }

  /** Adds an object as Stripe would have made it (for instance a charge made in the dashboard). */
  add(object: StripeObject): StripeObject {
    return this.save(object);
  }

  /** Stripe's lists: newest first, created[gte], limit and starting_after. */
  private list(object: string, url: string, form: Record<string, string>): unknown {
    const gte = form['created[gte]'] ? Number(form['created[gte]']) : -Infinity;
    const all = [...this.objects.values()].filter((o) => o.object === object && (o.created as number) >= gte).reverse();
    all.sort((a, b) => (b.created as number) - (a.created as number));
    const from = form.starting_after ? all.findIndex((o) => o.id === form.starting_after) + 1 : 0;
    const size = Math.min(Number(form.limit ?? 10), this.listPageSize);
    const data = all.slice(from, from + size);
    return { object: 'list', url, has_more: from + size < all.length, data };
  }

  private createPaymentIntent(form: Record<string, string>): StripeObject {
    const id = newId('pi');
    return this.save({
      id,
      object: 'payment_intent',
      amount: Number(form.amount),
      amount_received: 0,
      currency: form.currency,
      capture_method: form.capture_method ?? 'automatic',
      client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
      status: 'requires_payment_method',
      transfer_group: form.transfer_group ?? null,
      latest_charge: null,
      last_payment_error: null,
      metadata: metadataOf(form),
      livemode: false,
    });
  }

  private updatePaymentIntent(intent: StripeObject, form: Record<string, string>): StripeObject {
    if (intent.status !== 'requires_payment_method') throw unexpectedState(intent);
    if (form.amount) intent.amount = Number(form.amount);
    return { ...intent };
  }

  private cancelPaymentIntent(intent: StripeObject): StripeObject {
    if (intent.status !== 'requires_payment_method') throw unexpectedState(intent);
    intent.status = 'canceled';
    return { ...intent };
  }

  private createTransfer(form: Record<string, string>): StripeObject {
    if (!form.destination?.startsWith('acct_')) throw new StripeFailure(400, 'invalid_request_error', 'parameter_missing', 'destination is required');
    const id = newId('tr');
    return this.save({
      id,
      object: 'transfer',
      amount: Number(form.amount),
      amount_reversed: 0,
      currency: form.currency,
      destination: form.destination,
      transfer_group: form.transfer_group ?? null,
      source_transaction: form.source_transaction ?? null,
      reversed: false,
      reversals: { object: 'list', data: [], has_more: false, url: `/v1/transfers/${id}/reversals` },
      metadata: metadataOf(form),
    });
  }

  private reverseTransfer(transfer: StripeObject, form: Record<string, string>): StripeObject {
    const amount = form.amount ? Number(form.amount) : (transfer.amount as number) - (transfer.amount_reversed as number);
    if (amount > (transfer.amount as number) - (transfer.amount_reversed as number)) {
      throw new StripeFailure(400, 'invalid_request_error', 'amount_too_large', 'Reversal amount exceeds what is left of the transfer');
    }
    transfer.amount_reversed = (transfer.amount_reversed as number) + amount;
    return this.save({ id: newId('trr'), object: 'transfer_reversal', amount, currency: transfer.currency, transfer: transfer.id, metadata: metadataOf(form) });
  }

  private createAccount(form: Record<string, string>): StripeObject {
    if (form.type !== 'express' && form.type !== 'standard' && form.type !== 'custom') {
      throw new StripeFailure(400, 'invalid_request_error', 'parameter_invalid_empty', 'You must provide an account type (or a controller)');
    }
    return this.save({
      id: `acct_${randomBytes(8).toString('hex')}`,
      object: 'account',
      type: form.type,
      details_submitted: false,
      charges_enabled: false,
      payouts_enabled: false,
      capabilities: form['capabilities[transfers][requested]'] === 'true' ? { transfers: 'inactive' } : {},
      requirements: {
        currently_due: ['business_type', 'external_account', 'tos_acceptance.date', 'tos_acceptance.ip'],
        eventually_due: ['business_type', 'external_account', 'tos_acceptance.date', 'tos_acceptance.ip'],
        past_due: [],
        disabled_reason: 'requirements.past_due',
      },
      metadata: metadataOf(form),
    });
  }

  private createAccountLink(form: Record<string, string>): unknown {
    const account = this.find(form.account);
    for (const name of ['type', 'return_url', 'refresh_url']) {
      if (!form[name]) throw new StripeFailure(400, 'invalid_request_error', 'parameter_missing', `Missing required param: ${name}.`);
    }
    const created = Math.floor(Date.now() / 1000);
    return { object: 'account_link', created, expires_at: created + 300, url: `https://connect.stripe.com/setup/e/${account.id}/${randomBytes(8).toString('hex')}` };
  }

  private createRefund(form: Record<string, string>): StripeObject {
    const intent = this.find(form.payment_intent);
    if (intent.status !== 'succeeded') throw unexpectedState(intent);
    const charge = this.find(intent.latest_charge as string);
    const amount = form.amount ? Number(form.amount) : (charge.amount as number) - (charge.amount_refunded as number);
    if (amount > (charge.amount as number) - (charge.amount_refunded as number)) {
      throw new StripeFailure(400, 'invalid_request_error', 'charge_already_refunded', 'Refund amount is greater than what is left of the charge');
    }
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    return this.save({
      id: newId('re'),
      object: 'refund',
      amount,
      currency: intent.currency,
      payment_intent: intent.id,
      charge: charge.id,
      status: 'succeeded',
      metadata: metadataOf(form),
    });
  }
}

/** List endpoints and the objects they list. */
const LISTED: Record<string, string> = { payment_intents: 'payment_intent', refunds: 'refund', transfers: 'transfer' };

function metadataOf(form: Record<string, string>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) {
    const name = /^metadata\[(.+)\]$/.exec(key)?.[1];
    if (name) metadata[name] = value;
  }
  return metadata;
}

function unexpectedState(intent: StripeObject): StripeFailure {
  return new StripeFailure(
    400,
    'invalid_request_error',
    'payment_intent_unexpected_state',
    `This PaymentIntent's status is ${String(intent.status)}, which does not allow this`,
  );
}
