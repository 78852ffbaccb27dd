import type { Pluggable, PluginContext } from '../lifecycle';
import type { RedisCommands } from '../redis/commands';
import { MemorySingleUseRecords, type MemorySingleUseRecordsOptions, RedisSingleUseRecords } from '../stores/single-use-records';

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

export type MemoryPendingLoginStoreOptions = MemorySingleUseRecordsOptions;

/** Pending logins in this process's memory. */
export class MemoryPendingLoginStore implements PendingLoginStore {
  private readonly records: MemorySingleUseRecords<PendingLogin>;

  /** `maxEntries`: logins waiting at once, the oldest dropped beyond it (default 10000); `now`: the clock. */
  constructor(options: MemoryPendingLoginStoreOptions = {}) {
    this.records = new MemorySingleUseRecords(options);
  }

  async save(digest: string, record: PendingLogin, ttlSeconds: number): Promise<void> {
    this.records.save(digest, record, ttlSeconds);
  }

  async peek(digest: string): Promise<PendingLogin | undefined> {
    return this.records.peek(digest);
  }

  async take(digest: string): Promise<PendingLogin | undefined> {
    return this.records.take(digest);
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
  private readonly records: RedisSingleUseRecords<PendingLogin>;

  constructor(options: RedisPendingLoginStoreOptions) {
    this.records = new RedisSingleUseRecords(options.redis, {
      who: 'RedisPendingLoginStore({ redis })',
      keyPrefix: options.keyPrefix ?? 'routing-controllers-auth:mfa-pending:',
      commandTimeoutMs: options.commandTimeoutMs,
    });
  }

  /** Reports the client's errors through the app's auth events (see `watchRedisErrors`). */
  init(context: PluginContext): void {
    this.records.init(context);
  }

  async ready(): Promise<void> {
    await this.records.ready();
  }

  async save(digest: string, record: PendingLogin, ttlSeconds: number): Promise<void> {
    await this.records.save(digest, record, ttlSeconds);
  }

  async peek(digest: string): Promise<PendingLogin | undefined> {
    return this.records.peek(digest);
  }

  async take(digest: string): Promise<PendingLogin | undefined> {
    return this.records.take(digest);
  }
}
