import type { Pluggable, PluginContext } from '../lifecycle';
import type { RedisCommands } from '../redis/commands';
import { RedisConnection } from '../redis/connection';
import { RedisKeys } from '../redis/keys';
import { textReply } from '../redis/replies';
import { storeCall } from '../request-failures';

/** A record good until `expiresAt` (epoch milliseconds). */
export interface ExpiringRecord {
  expiresAt: number;
}

export interface MemorySingleUseRecordsOptions {
  /** Records kept at once; the oldest are dropped beyond it. Default 10000. */
  maxEntries?: number;
  /** The clock, in epoch milliseconds (tests move it). Default `Date.now`. */
  now?: () => number;
}

/**
 * Records handed out once, in this process's memory: what the OAuth state, pending-login and
 * WebAuthn challenge stores keep. `take` reads and deletes in one step (no `await` between), so a
 * record is used once however many requests race for it.
 */
export class MemorySingleUseRecords<T extends ExpiringRecord> {
  private readonly records = new Map<string, T>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemorySingleUseRecordsOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10000;
    this.now = options.now ?? Date.now;
  }

  save(key: string, record: T, ttlSeconds: number): void {
    this.sweep();
    // A Map iterates in insertion order: the first keys are the oldest records.
    while (this.records.size >= this.maxEntries) this.records.delete(this.records.keys().next().value as string);
    this.records.set(key, { ...record, expiresAt: Math.min(record.expiresAt, this.now() + ttlSeconds * 1000) });
  }

  /** The record, left in place; undefined when unknown or expired. */
  peek(key: string): T | undefined {
    const record = this.records.get(key);
    return record && record.expiresAt > this.now() ? { ...record } : undefined;
  }

  /** The record, removed; undefined when unknown, expired or taken already. */
  take(key: string): T | undefined {
    const record = this.records.get(key);
    if (!record) return undefined;
    this.records.delete(key);
    return record.expiresAt > this.now() ? record : undefined;
  }

  /** Every record of one kind lives as long, so insertion order is expiry order: stop at the first live one. */
  private sweep(): void {
    const now = this.now();
    for (const [key, record] of this.records) {
      if (record.expiresAt > now) break;
      this.records.delete(key);
    }
  }
}

/** The part of a node-redis 5 or 6 client (or cluster) single-use records need; `get` only to peek. */
export type SingleUseRecordsClient = Pick<RedisCommands, 'isReady' | 'isOpen' | 'set' | 'getDel' | 'on'> & Partial<Pick<RedisCommands, 'get'>>;

export interface RedisSingleUseRecordsOptions {
  /** The store as the app wrote it, naming it in errors: e.g. `RedisOAuthStateStore({ redis })`. */
  who: string;
  keyPrefix: string;
  /** The longest a Redis call may take before the request gets a 503. Default 1000 ms; `null` waits as long as the client does. */
  commandTimeoutMs?: number | null;
}

/**
 * Records handed out once, in Redis (shared by every instance): JSON under a prefixed key with the
 * record's lifetime as TTL; `GETDEL` takes one atomically. Every command goes through the Redis kit
 * (time limit, readiness, error watching), so a stalled Redis answers 503, never a hang.
 */
export class RedisSingleUseRecords<T extends ExpiringRecord> implements Pluggable {
  private readonly connection: RedisConnection<SingleUseRecordsClient>;
  private readonly keys: RedisKeys;

  constructor(redis: SingleUseRecordsClient, options: RedisSingleUseRecordsOptions) {
    this.connection = new RedisConnection(redis, { who: options.who, commandTimeoutMs: options.commandTimeoutMs });
    this.keys = new RedisKeys(options.keyPrefix);
  }

  /** Reports the client's errors through the app's auth events (see `watchRedisErrors`). */
  init(context: PluginContext): void {
    this.connection.init(context);
  }

  async ready(): Promise<void> {
    await this.connection.ready();
  }

  async save(key: string, record: T, ttlSeconds: number): Promise<void> {
    await storeCall(() => this.connection.run((redis) => redis.set(this.keys.key(key), JSON.stringify(record), { EX: ttlSeconds })));
  }

  /** The record, left in place; undefined when unknown or expired. Needs the client's `get`. */
  async peek(key: string): Promise<T | undefined> {
    return live<T>(
      textReply(
        await storeCall(() =>
          this.connection.run((redis) => {
            if (!redis.get) throw new TypeError('peek needs a Redis client with get().');
            return redis.get(this.keys.key(key));
          }),
        ),
      ),
    );
  }

  /** The record, removed; undefined when unknown, expired or taken already. */
  async take(key: string): Promise<T | undefined> {
    return live<T>(textReply(await storeCall(() => this.connection.run((redis) => redis.getDel(this.keys.key(key))))));
  }
}

/** A stored record still good now; a past one counts as none (its TTL is about to drop it). */
function live<T extends ExpiringRecord>(value: string | null): T | undefined {
  if (value === null) return undefined;
  const record = JSON.parse(value) as T;
  return record.expiresAt > Date.now() ? record : undefined;
}
