import type { Pluggable, PluginContext } from '../lifecycle';
import type { RedisCommands } from '../redis/commands';
import { RedisConnection } from '../redis/connection';
import { RedisKeys } from '../redis/keys';
import { textReply } from '../redis/replies';
import { storeCall } from '../request-failures';

/**
 * A login waiting for its second factor, kept server-side under the digest of its `mfa_token`:
 * who passed the first step, through which backend, how, and what the finished login grants.
 */
export interface PendingLogin {
  /** `login`: `POST /2fa/verify` finishes it. `enrol`: the user must enrol first; only the TOTP enrolment routes take it. */
  purpose: 'login' | 'enrol';
  userId: string;
  /** The backend the first step logged in through: the finished login is its answer, and no other's. */
  backend: string;
  /** RFC 8176 `amr` of the first step (`['pwd']`, `['fed']`). */
  amr: string[];
  /** The scopes the first step granted. */
  scopes: string[];
  /** Where the refresh cookie goes (the first step's), when the backend keeps one. */
  refreshCookiePath?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * Where pending logins wait (5 minutes). `take` must be atomic (read and delete in one step), so
 * an `mfa_token` finishes one login even under concurrent requests. The default keeps them in
 * memory (one process); several instances share a `RedisPendingLoginStore`.
 */
export interface PendingLoginStore {
  save(digest: string, record: PendingLogin, ttlSeconds: number): Promise<void>;
  /** The record, left in place (a wrong code does not use the token up); undefined when unknown or expired. */
  peek(digest: string): Promise<PendingLogin | undefined>;
  /** The record, removed; undefined when unknown, expired or taken already. */
  take(digest: string): Promise<PendingLogin | undefined>;
  /** Optional: handed the app's plugin context once, at `Auth.configure`. */
  init?(context: PluginContext): void;
  /** Optional: confirms at `auth.ready()` that the store is usable; throws `AuthConfigurationError` naming the fix. */
  ready?(): Promise<void>;
}

export interface MemoryPendingLoginStoreOptions {
  /** Logins waiting at once; the oldest are dropped beyond it. Default 10000. */
  maxEntries?: number;
  /** The clock, in epoch milliseconds (tests move it). Default `Date.now`. */
  now?: () => number;
}

/** Pending logins in this process's memory. */
export class MemoryPendingLoginStore implements PendingLoginStore {
  private readonly records = new Map<string, PendingLogin>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryPendingLoginStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10000;
    this.now = options.now ?? Date.now;
  }

  async save(digest: string, record: PendingLogin, ttlSeconds: number): Promise<void> {
    this.sweep();
    // A Map iterates in insertion order: the first keys are the oldest logins.
    while (this.records.size >= this.maxEntries) this.records.delete(this.records.keys().next().value as string);
    this.records.set(digest, { ...record, expiresAt: Math.min(record.expiresAt, this.now() + ttlSeconds * 1000) });
  }

  async peek(digest: string): Promise<PendingLogin | undefined> {
    const record = this.records.get(digest);
    return record && record.expiresAt > this.now() ? { ...record } : undefined;
  }

  async take(digest: string): Promise<PendingLogin | undefined> {
    const record = this.records.get(digest);
    if (!record) return undefined;
    this.records.delete(digest);
    return record.expiresAt > this.now() ? record : undefined;
  }

  /** Every login waits as long, so insertion order is expiry order: stop at the first live one. */
  private sweep(): void {
    const now = this.now();
    for (const [digest, record] of this.records) {
      if (record.expiresAt > now) break;
      this.records.delete(digest);
    }
  }
}

/** The part of a node-redis 5 or 6 client (or cluster) the Redis store uses. */
export type RedisPendingLoginClient = Pick<RedisCommands, 'isReady' | 'isOpen' | 'set' | 'get' | 'getDel' | 'on'>;

export interface RedisPendingLoginStoreOptions {
  redis: RedisPendingLoginClient;
  /** Default `routing-controllers-auth:mfa-pending:`. */
  keyPrefix?: string;
  /** The longest a Redis call may take before the request gets a 503. Default 1000 ms; `null` waits as long as the client does. */
  commandTimeoutMs?: number | null;
}

/** Pending logins in Redis (shared by every instance) with their lifetime as TTL; `GETDEL` takes them once. */
export class RedisPendingLoginStore implements PendingLoginStore, Pluggable {
  private readonly connection: RedisConnection<RedisPendingLoginClient>;
  private readonly keys: RedisKeys;

  constructor(options: RedisPendingLoginStoreOptions) {
    this.connection = new RedisConnection(options.redis, { who: 'RedisPendingLoginStore({ redis })', commandTimeoutMs: options.commandTimeoutMs });
    this.keys = new RedisKeys(options.keyPrefix ?? 'routing-controllers-auth:mfa-pending:');
  }

  /** Reports the client's errors through the app's auth events (see `watchRedisErrors`). */
  init(context: PluginContext): void {
    this.connection.init(context);
  }

  async ready(): Promise<void> {
    await this.connection.ready();
  }

  async save(digest: string, record: PendingLogin, ttlSeconds: number): Promise<void> {
    await storeCall(() => this.connection.run((redis) => redis.set(this.keys.key(digest), JSON.stringify(record), { EX: ttlSeconds })));
  }

  async peek(digest: string): Promise<PendingLogin | undefined> {
    return live(textReply(await storeCall(() => this.connection.run((redis) => redis.get(this.keys.key(digest))))));
  }

  async take(digest: string): Promise<PendingLogin | undefined> {
    return live(textReply(await storeCall(() => this.connection.run((redis) => redis.getDel(this.keys.key(digest))))));
  }
}

function live(value: string | null): PendingLogin | undefined {
  if (value === null) return undefined;
  const record = JSON.parse(value) as PendingLogin;
  return record.expiresAt > Date.now() ? record : undefined;
}
