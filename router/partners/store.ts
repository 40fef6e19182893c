import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type Redis from 'ioredis';
import { closeRedis, stateRedis } from '../../lib/redis';
import { sha256Hex, type PersistedQueryManifest } from './manifest';

/** A partner: who holds an API key, what its manifest lets it run, and how fast. */
export interface Partner {
  id: string;
  name: string;
  /** sha256 of the API key: the key itself is shown once, when made, and kept nowhere. */
  keyHash: string;
  manifest: PersistedQueryManifest;
  /** Requests a minute; the router's default for partners when absent. */
  rateLimitPerMinute?: number;
  createdAt: string;
  revokedAt?: string;
}

export interface PartnerStore {
  add(input: { name: string; manifest: PersistedQueryManifest; rateLimitPerMinute?: number }): Promise<{ partner: Partner; apiKey: string }>;
  setManifest(id: string, manifest: PersistedQueryManifest): Promise<Partner>;
  revoke(id: string): Promise<Partner>;
  list(): Promise<Partner[]>;
  /** The partner an API key belongs to, unless unknown or revoked. */
  byKey(apiKey: string): Promise<Partner | undefined>;
  close(): Promise<void>;
}

export class UnknownPartnerError extends Error {}

const newKey = () => `mk_${randomBytes(32).toString('base64url')}`;

/** What both stores share: they differ only in where the records live. */
abstract class RecordStore implements PartnerStore {
  protected abstract read(): Promise<Partner[]>;
  protected abstract write(partner: Partner): Promise<void>;
  abstract close(): Promise<void>;

  async add({ name, manifest, rateLimitPerMinute }: { name: string; manifest: PersistedQueryManifest; rateLimitPerMinute?: number }) {
    const apiKey = newKey();
    const partner: Partner = { id: randomUUID(), name, keyHash: sha256Hex(apiKey), manifest, rateLimitPerMinute, createdAt: new Date().toISOString() };
    await this.write(partner);
    return { partner, apiKey };
  }

  async setManifest(id: string, manifest: PersistedQueryManifest) {
    const partner = { ...(await this.get(id)), manifest };
    await this.write(partner);
    return partner;
  }

  async revoke(id: string) {
    const partner = { ...(await this.get(id)), revokedAt: new Date().toISOString() };
    await this.write(partner);
    return partner;
  }

  list() {
    return this.read();
  }

  async byKey(apiKey: string) {
    const hash = sha256Hex(apiKey);
    return (await this.read()).find((p) => p.keyHash === hash && !p.revokedAt);
  }

  private async get(id: string): Promise<Partner> {
    const partner = (await this.read()).find((p) => p.id === id);
    if (!partner) throw new UnknownPartnerError(`no partner ${id}`);
    return partner;
  }
}

/** One JSON file (under DATA_DIR by default): for one router, or routers sharing a volume. */
export class FilePartnerStore extends RecordStore {
  private cache?: { mtimeMs: number; partners: Partner[] };

  constructor(private readonly path: string) {
    super();
  }

  protected async read(): Promise<Partner[]> {
    if (!existsSync(this.path)) return [];
    // re-read when the file changed, so that the CLI's changes reach a running router
    const { mtimeMs } = statSync(this.path);
    if (this.cache?.mtimeMs !== mtimeMs) this.cache = { mtimeMs, partners: JSON.parse(readFileSync(this.path, 'utf8')) as Partner[] };
    return this.cache.partners;
  }

  protected async write(partner: Partner): Promise<void> {
    const partners = (await this.read()).filter((p) => p.id !== partner.id).concat(partner);
    mkdirSync(dirname(this.path), { recursive: true });
    // written whole and renamed, so that a reader never sees half a file
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(partners, null, 2), { mode: 0o600 });
    renameSync(temporary, this.path);
    this.cache = undefined;
  }

  async close() {}
}

/** A Redis hash shared by every router: a revoked key stops working everywhere at once. */
export class RedisPartnerStore extends RecordStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix = 'marketplace',
    /** Whether `close` ends the connection: the store's own, not one the router shares. */
    private readonly ownsConnection = false,
  ) {
    super();
    this.key = `${prefix}:partners`;
  }

  protected async read(): Promise<Partner[]> {
    return Object.values(await this.redis.hgetall(this.key)).map((json) => JSON.parse(json) as Partner);
  }

  protected async write(partner: Partner): Promise<void> {
    await this.redis.hset(this.key, partner.id, JSON.stringify(partner));
  }

  async close() {
    if (this.ownsConnection) await closeRedis(this.redis);
  }
}

/** Partners where the router keeps them: Redis when it has one, else the file (the CLI's and tests' way in). */
export function openPartnerStore(options: { redisUrl?: string; redisPrefix?: string; partnersFile?: string }): PartnerStore {
  return options.redisUrl
    ? new RedisPartnerStore(stateRedis(options.redisUrl), options.redisPrefix, true)
    : new FilePartnerStore(options.partnersFile ?? '.data/partners.json');
}
