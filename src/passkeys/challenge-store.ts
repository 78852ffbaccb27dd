import { createHash } from 'crypto';
import type { Pluggable, PluginContext } from '../lifecycle';
import type { RedisCommands } from '../redis/commands';
import { RedisConnection } from '../redis/connection';
import { RedisKeys } from '../redis/keys';
import { textReply } from '../redis/replies';
import { storeCall } from '../request-failures';

/** Five minutes: long enough for a person at an authenticator, short enough to be of little use to anyone else. */
export const WEBAUTHN_CHALLENGE_LIFETIME_SECONDS = 300;

/** What a challenge was handed out for: a registration, a passwordless sign-in, or a second factor. */
export type WebAuthnChallengePurpose = 'registration' | 'login' | 'second_factor';

/** What is kept server-side for one challenge, until its response comes back (or it expires). */
export interface WebAuthnChallengeRecord {
  purpose: WebAuthnChallengePurpose;
  /** The user it was handed to (registration, second factor); absent for a passwordless sign-in. */
  userId?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * Where WebAuthn challenges wait for their response. `take` must be atomic (read and delete in
 * one step), so a challenge is redeemed once even when two responses race. Keys are the
 * challenge's SHA-256, never the challenge itself. The default keeps them in memory, which suits
 * one process; several instances behind a load balancer share a `RedisWebAuthnChallengeStore`.
 */
export interface WebAuthnChallengeStore {
  save(challenge: string, record: WebAuthnChallengeRecord, ttlSeconds: number): Promise<void>;
  /** The record, removed; undefined when unknown, expired or already taken. */
  take(challenge: string): Promise<WebAuthnChallengeRecord | undefined>;
  /** Optional: handed the app's plugin context once, at `Auth.configure`. */
  init?(context: PluginContext): void;
  /** Optional: confirms at start-up (`auth.ready()`) that the store is usable; throws `AuthConfigurationError` naming the fix. */
  ready?(): Promise<void>;
}

/** The key a challenge is kept under: its SHA-256, hex. */
export function challengeKey(challenge: string): string {
  return createHash('sha256').update(challenge).digest('hex');
}

export interface MemoryWebAuthnChallengeStoreOptions {
  /** Challenges waiting at once; the oldest are dropped beyond it. Default 10000. */
  maxEntries?: number;
  /** The clock, in epoch milliseconds (tests move it). Default `Date.now`. */
  now?: () => number;
}

/** Challenges in this process's memory. */
export class MemoryWebAuthnChallengeStore implements WebAuthnChallengeStore {
  private readonly records = new Map<string, WebAuthnChallengeRecord>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryWebAuthnChallengeStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10000;
    this.now = options.now ?? Date.now;
  }

  async save(challenge: string, record: WebAuthnChallengeRecord, ttlSeconds: number): Promise<void> {
    this.sweep();
    // A Map iterates in insertion order: the first keys are the oldest challenges.
    while (this.records.size >= this.maxEntries) this.records.delete(this.records.keys().next().value as string);
    this.records.set(challengeKey(challenge), { ...record, expiresAt: Math.min(record.expiresAt, this.now() + ttlSeconds * 1000) });
  }

  async take(challenge: string): Promise<WebAuthnChallengeRecord | undefined> {
    const key = challengeKey(challenge);
    const record = this.records.get(key);
    if (!record) return undefined;
    this.records.delete(key);
    return record.expiresAt > this.now() ? record : undefined;
  }

  /** Every challenge lives as long, so insertion order is expiry order: stop at the first live one. */
  private sweep(): void {
    const now = this.now();
    for (const [key, record] of this.records) {
      if (record.expiresAt > now) break;
      this.records.delete(key);
    }
  }
}

/** The part of a node-redis 5 or 6 client (or cluster) the Redis challenge store uses. */
export type RedisWebAuthnChallengeClient = Pick<RedisCommands, 'isReady' | 'isOpen' | 'set' | 'getDel' | 'on'>;

export interface RedisWebAuthnChallengeStoreOptions {
  redis: RedisWebAuthnChallengeClient;
  /** Default `routing-controllers-auth:webauthn-challenge:`. */
  keyPrefix?: string;
  /**
   * The longest a Redis call may take before the request gets a 503 instead of waiting on.
   * Default 1000 ms; `null` waits as long as the client does.
   */
  commandTimeoutMs?: number | null;
}

/** Challenges in Redis (shared by every instance), with their lifetime as TTL; `GETDEL` takes them once. */
export class RedisWebAuthnChallengeStore implements WebAuthnChallengeStore, Pluggable {
  private readonly connection: RedisConnection<RedisWebAuthnChallengeClient>;
  private readonly keys: RedisKeys;

  constructor(options: RedisWebAuthnChallengeStoreOptions) {
    this.connection = new RedisConnection(options.redis, { who: 'RedisWebAuthnChallengeStore({ redis })', commandTimeoutMs: options.commandTimeoutMs });
    this.keys = new RedisKeys(options.keyPrefix ?? 'routing-controllers-auth:webauthn-challenge:');
  }

  /** Reports the client's errors through the app's auth events (see `watchRedisErrors`). */
  init(context: PluginContext): void {
    this.connection.init(context);
  }

  async ready(): Promise<void> {
    await this.connection.ready();
  }

  async save(challenge: string, record: WebAuthnChallengeRecord, ttlSeconds: number): Promise<void> {
    const key = this.keys.key(challengeKey(challenge));
    await storeCall(() => this.connection.run((redis) => redis.set(key, JSON.stringify(record), { EX: ttlSeconds })));
  }

  async take(challenge: string): Promise<WebAuthnChallengeRecord | undefined> {
    const key = this.keys.key(challengeKey(challenge));
    const value = textReply(await storeCall(() => this.connection.run((redis) => redis.getDel(key))));
    if (value === null) return undefined;
    const record = JSON.parse(value) as WebAuthnChallengeRecord;
    return record.expiresAt > Date.now() ? record : undefined;
  }
}
