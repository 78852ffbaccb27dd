import type { Pluggable, PluginContext } from '../lifecycle';
import type { RedisCommands } from '../redis/commands';
import { MemorySingleUseRecords, type MemorySingleUseRecordsOptions, RedisSingleUseRecords } from '../stores/single-use-records';

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

export type MemoryOAuthStateStoreOptions = MemorySingleUseRecordsOptions;

/** Flows in this process's memory. */
export class MemoryOAuthStateStore implements OAuthStateStore {
  private readonly records: MemorySingleUseRecords<OAuthStateRecord>;

  /** `maxEntries`: flows waiting at once, the oldest dropped beyond it (default 10000); `now`: the clock. */
  constructor(options: MemoryOAuthStateStoreOptions = {}) {
    this.records = new MemorySingleUseRecords(options);
  }

  async save(state: string, record: OAuthStateRecord, ttlSeconds: number): Promise<void> {
    this.records.save(state, record, ttlSeconds);
  }

  async take(state: string): Promise<OAuthStateRecord | undefined> {
    return this.records.take(state);
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
  private readonly records: RedisSingleUseRecords<OAuthStateRecord>;

  constructor(options: RedisOAuthStateStoreOptions) {
    this.records = new RedisSingleUseRecords(options.redis, {
      who: 'RedisOAuthStateStore({ redis })',
      keyPrefix: options.keyPrefix ?? 'routing-controllers-auth:oauth-state:',
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

  async save(state: string, record: OAuthStateRecord, ttlSeconds: number): Promise<void> {
    await this.records.save(state, record, ttlSeconds);
  }

  async take(state: string): Promise<OAuthStateRecord | undefined> {
    return this.records.take(state);
  }
}
