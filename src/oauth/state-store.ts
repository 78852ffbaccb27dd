import type { Pluggable, PluginContext } from '../lifecycle';
import type { RedisCommands } from '../redis/commands';
import { RedisConnection } from '../redis/connection';
import { RedisKeys } from '../redis/keys';
import { textReply } from '../redis/replies';
import { storeCall } from '../request-failures';

/** What is kept server-side for one authorization flow, under its `state`. */
export interface OAuthStateRecord {
  /** `login` (the callback logs in) or `associate` (links to `userId`). */
  purpose: 'login' | 'associate';
  /** SHA-256 (hex) of the browser-binding cookie set when the flow started. */
  bindingDigest: string;
  codeVerifier: string;
  nonce: string;
  /** The user who started an associate flow. */
  userId?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * Where flows wait for their callback. `take` must be atomic (read and delete in one step), so a
 * state is used once even under concurrent callbacks. The default keeps them in memory, which
 * suits one process; several instances behind a load balancer share a `RedisOAuthStateStore`.
 */
export interface OAuthStateStore {
  save(state: string, record: OAuthStateRecord, ttlSeconds: number): Promise<void>;
  /** The record, removed; undefined when unknown, expired or already taken. */
  take(state: string): Promise<OAuthStateRecord | undefined>;
  /** Optional: handed the app's plugin context once, at `auth.ready()` (e.g. to report its client's errors). */
  init?(context: PluginContext): void;
  /** Optional: confirms at start-up (`auth.ready()`) that the store is usable; throws `AuthConfigurationError` naming the fix. */
  ready?(): Promise<void>;
}

export interface MemoryOAuthStateStoreOptions {
  /** Flows waiting at once; the oldest are dropped beyond it. Default 10000. */
  maxEntries?: number;
  /** The clock, in epoch milliseconds (tests move it). Default `Date.now`. */
  now?: () => number;
}

/** Flows in this process's memory. */
export class MemoryOAuthStateStore implements OAuthStateStore {
  private readonly records = new Map<string, OAuthStateRecord>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryOAuthStateStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10000;
    this.now = options.now ?? Date.now;
  }

  async save(state: string, record: OAuthStateRecord, ttlSeconds: number): Promise<void> {
    this.sweep();
    // A Map iterates in insertion order: the first keys are the oldest flows.
    while (this.records.size >= this.maxEntries) this.records.delete(this.records.keys().next().value as string);
    this.records.set(state, { ...record, expiresAt: Math.min(record.expiresAt, this.now() + ttlSeconds * 1000) });
  }

  async take(state: string): Promise<OAuthStateRecord | undefined> {
    const record = this.records.get(state);
    if (!record) return undefined;
    this.records.delete(state);
    return record.expiresAt > this.now() ? record : undefined;
  }

  /** Every flow lives as long, so insertion order is expiry order: stop at the first live one. */
  private sweep(): void {
    const now = this.now();
    for (const [state, record] of this.records) {
      if (record.expiresAt > now) break;
      this.records.delete(state);
    }
  }
}

/** The part of a node-redis 5 or 6 client (or cluster) the Redis state store uses. */
export type RedisOAuthStateClient = Pick<RedisCommands, 'isReady' | 'isOpen' | 'set' | 'getDel' | 'on'>;

export interface RedisOAuthStateStoreOptions {
  redis: RedisOAuthStateClient;
  /** Default `routing-controllers-auth:oauth-state:`. */
  keyPrefix?: string;
  /**
   * The longest a Redis call may take before the request gets a 503 instead of waiting on.
   * Default 1000 ms; `null` waits as long as the client does.
   */
  commandTimeoutMs?: number | null;
}

/** Flows in Redis (shared by every instance), with the flow's lifetime as TTL; `GETDEL` takes them once. */
export class RedisOAuthStateStore implements OAuthStateStore, Pluggable {
  private readonly connection: RedisConnection<RedisOAuthStateClient>;
  private readonly keys: RedisKeys;

  constructor(options: RedisOAuthStateStoreOptions) {
    this.connection = new RedisConnection(options.redis, { who: 'RedisOAuthStateStore({ redis })', commandTimeoutMs: options.commandTimeoutMs });
    this.keys = new RedisKeys(options.keyPrefix ?? 'routing-controllers-auth:oauth-state:');
  }

  /** Reports the client's errors through the app's auth events (see `watchRedisErrors`). */
  init(context: PluginContext): void {
    this.connection.init(context);
  }

  async ready(): Promise<void> {
    await this.connection.ready();
  }

  async save(state: string, record: OAuthStateRecord, ttlSeconds: number): Promise<void> {
    await storeCall(() => this.connection.run((redis) => redis.set(this.keys.key(state), JSON.stringify(record), { EX: ttlSeconds })));
  }

  async take(state: string): Promise<OAuthStateRecord | undefined> {
    const value = textReply(await storeCall(() => this.connection.run((redis) => redis.getDel(this.keys.key(state)))));
    if (value === null) return undefined;
    const record = JSON.parse(value) as OAuthStateRecord;
    return record.expiresAt > Date.now() ? record : undefined;
  }
}
