import type { IncomingMessage } from 'node:http';
import type { GraphQLFormattedError } from 'graphql';
import type { Viewer } from '../lib/auth/viewer';
import type { ErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { headerOf } from '../lib/server/http';
import type { PersistedQueryManifest } from './partners/manifest';
import { sha256Hex } from './partners/manifest';
import type { Partner, PartnerStore } from './partners/store';
import type { Quota, RateLimiter } from './rate-limit';

/** Who may send what, and how often, decided before Apollo Server sees the request. */
export interface GateOptions {
  partners: PartnerStore;
  limiter: RateLimiter;
  quotas: { partner: Quota; user: Quota; anonymous: Quota };
  /** Operations of the router's own clients, by id; with `requireIds` they are all a client may run. */
  firstParty?: PersistedQueryManifest;
  requireIds: boolean;
  maxBatch: number;
  logger: Logger;
}

/** A GraphQL-over-HTTP request as it arrived: the JSON body of a POST, or the parameters of a GET. */
export interface GraphQLHttpRequest {
  body: unknown;
  search: string;
}

/** A refusal: the HTTP status it is answered with, and the errors (over WebSocket, the errors alone). */
export type Refusal = { admitted: false; status: number; errors: GraphQLFormattedError[]; headers?: Record<string, string> };

export type Admission = ({ admitted: true; partner?: Partner } & GraphQLHttpRequest) | Refusal;

/** Who sends an operation, whatever the transport. */
export interface Caller {
  /** The partner's key (header `x-api-key`, or the same name in a WebSocket's connectionParams). */
  apiKey?: string;
  /** Where it came from: anonymous callers are rate-limited by it. */
  address: string;
  viewer: Viewer | null;
}

export interface Operation {
  query?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } & Record<string, unknown> } & Record<string, unknown>;
  [key: string]: unknown;
}

const PARTNER_CACHE_MS = 5_000;

/** A partner with its manifest's bodies by id, as the gate looks them up. */
interface KnownPartner {
  partner: Partner;
  bodies: Map<string, string>;
}

export class RequestGate {
  private readonly partnerCache = new Map<string, { known?: KnownPartner; until: number }>();
  private readonly firstParty?: Map<string, string>;

  constructor(private readonly options: GateOptions) {
    this.firstParty = options.firstParty && bodiesById(options.firstParty);
  }

  /** An HTTP request: its one operation or batch, its API key header, the address it came from. */
  async admit(req: IncomingMessage, request: GraphQLHttpRequest, viewer: Viewer | null): Promise<Admission> {
    const { operations, write } = operationsOf(request);
    if (operations.length > this.options.maxBatch) {
      return refuse(400, 'BAD_USER_INPUT', `Too many operations in one batch: at most ${this.options.maxBatch}`);
    }
    const caller = { apiKey: headerOf(req, 'x-api-key'), address: req.socket.remoteAddress ?? 'unknown', viewer };
    const decision = await this.admitOperations(caller, operations);
    return decision.admitted ? { ...decision, ...write(operations) } : decision;
  }

  /** Whether an API key names a partner (undefined: no key given); a WebSocket asks it once, on connect. */
  async knows(apiKey: string | undefined): Promise<boolean> {
    return apiKey === undefined || (await this.partnerOf(apiKey)) !== undefined;
  }

  /**
   * The checks every transport shares, for operations already read from the request (an HTTP body,
   * a WebSocket subscribe message): the partner's key, the rate limit (one unit per operation), and
   * the safelist, whose bodies replace the operations' ids.
   */
  async admitOperations(caller: Caller, operations: Operation[]): Promise<{ admitted: true; partner?: Partner } | Refusal> {
    const known = caller.apiKey === undefined ? undefined : await this.partnerOf(caller.apiKey);
    if (caller.apiKey !== undefined && !known) return refuse(401, 'UNAUTHENTICATED', 'Unknown or revoked API key');
    const partner = known?.partner;

    const decision = await this.take(partner, caller, Math.max(1, operations.length));
    if (!decision.allowed) {
      return {
        admitted: false,
        status: 429,
        headers: { 'retry-after': String(decision.retryAfterSeconds) },
        errors: [{ message: `Too many requests: try again in ${decision.retryAfterSeconds} s`, extensions: { code: 'RATE_LIMITED', retryAfter: decision.retryAfterSeconds } }],
      };
    }

    const safelist = known ? known.bodies : this.options.requireIds ? this.firstParty ?? new Map<string, string>() : undefined;
    if (safelist) {
      for (const operation of operations) {
        const id = operation.extensions?.persistedQuery?.sha256Hash;
        const body = typeof id === 'string' ? safelist.get(id) : undefined;
        if (body === undefined) {
          return refuse(
            400,
            'PERSISTED_QUERY_NOT_IN_LIST',
            typeof id === 'string'
              ? `Operation ${id} is not in the ${partner ? "partner's manifest" : 'safelist'}`
              : `Only operations of the ${partner ? "partner's manifest" : 'safelist'} may run, by id (extensions.persistedQuery.sha256Hash)`,
          );
        }
        // the manifest's body runs; Apollo's own APQ cache is neither asked nor filled
        operation.query = body;
        const { persistedQuery: _, ...extensions } = operation.extensions ?? {};
        operation.extensions = extensions;
      }
    }
    return { admitted: true, partner };
  }

  private async partnerOf(apiKey: string): Promise<KnownPartner | undefined> {
    // a few seconds of cache: a key is looked up once, not on every request; a revocation lands within them
    const hash = sha256Hex(apiKey);
    const cached = this.partnerCache.get(hash);
    if (cached && cached.until > Date.now()) return cached.known;
    const partner = await this.options.partners.byKey(apiKey);
    const known = partner && { partner, bodies: bodiesById(partner.manifest) };
    if (this.partnerCache.size > 10_000) this.partnerCache.clear();
    this.partnerCache.set(hash, { known, until: Date.now() + PARTNER_CACHE_MS });
    return known;
  }

  private async take(partner: Partner | undefined, { viewer, address }: Caller, cost: number) {
    const { quotas } = this.options;
    const [key, quota] = partner
      ? [`partner:${partner.id}`, partner.rateLimitPerMinute ? { perMinute: partner.rateLimitPerMinute } : quotas.partner]
      : viewer
        ? [`user:${viewer.userId}`, quotas.user]
        : [`ip:${address}`, quotas.anonymous];
    try {
      return await this.options.limiter.take(key, quota, cost);
    } catch (error) {
      // the limiter's store is away: serving beats refusing everyone
      this.options.logger.warn('rate limiter unavailable; request let through', { error });
      return { allowed: true, retryAfterSeconds: 0 };
    }
  }
}

function refuse(status: number, code: ErrorCode, message: string): Refusal {
  return { admitted: false, status, errors: [{ message, extensions: { code } }] };
}

function bodiesById(manifest: PersistedQueryManifest): Map<string, string> {
  return new Map(manifest.operations.map((operation) => [operation.id, operation.body]));
}

/**
 * The operations of a request, and how to write them back: a POST body holds one or a batch, a GET
 * holds one in its parameters (`extensions` as JSON).
 */
function operationsOf(request: GraphQLHttpRequest): { operations: Operation[]; write(operations: Operation[]): GraphQLHttpRequest } {
  const { body, search } = request;
  if (Array.isArray(body)) return { operations: body.filter(isObject) as Operation[], write: (operations) => ({ body: operations, search }) };
  if (isObject(body)) return { operations: [body as Operation], write: ([operation]) => ({ body: operation, search }) };
  if (body !== undefined) return { operations: [], write: () => request };
  const params = new URLSearchParams(search);
  let extensions: unknown;
  try {
    extensions = params.has('extensions') ? JSON.parse(params.get('extensions')!) : undefined;
  } catch {
    extensions = undefined; // Apollo Server answers a malformed parameter itself
  }
  if (!params.has('query') && !isObject(extensions)) return { operations: [], write: () => request };
  const operation: Operation = { query: params.get('query') ?? undefined, extensions: isObject(extensions) ? (extensions as Operation['extensions']) : undefined };
  return {
    operations: [operation],
    write: ([rewritten]) => {
      if (typeof rewritten.query === 'string') params.set('query', rewritten.query);
      if (rewritten.extensions) params.set('extensions', JSON.stringify(rewritten.extensions));
      return { body, search: `?${params.toString()}` };
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
