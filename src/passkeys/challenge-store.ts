import { createHash } from 'crypto';
import type { Pluggable, PluginContext } from '../lifecycle';
import type { RedisCommands } from '../redis/commands';
import { MemorySingleUseRecords, type MemorySingleUseRecordsOptions, RedisSingleUseRecords } from '../stores/single-use-records';

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

export type MemoryWebAuthnChallengeStoreOptions = MemorySingleUseRecordsOptions;

/** Challenges in this process's memory. */
export class MemoryWebAuthnChallengeStore implements WebAuthnChallengeStore {
  private readonly records: MemorySingleUseRecords<WebAuthnChallengeRecord>;

  /** `maxEntries`: challenges waiting at once, the oldest dropped beyond it (default 10000); `now`: the clock. */
  constructor(options: MemoryWebAuthnChallengeStoreOptions = {}) {
    this.records = new MemorySingleUseRecords(options);
  }

  async save(challenge: string, record: WebAuthnChallengeRecord, ttlSeconds: number): Promise<void> {
    this.records.save(challengeKey(challenge), record, ttlSeconds);
  }

  async take(challenge: string): Promise<WebAuthnChallengeRecord | undefined> {
    return this.records.take(challengeKey(challenge));
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
  private readonly records: RedisSingleUseRecords<WebAuthnChallengeRecord>;

  constructor(options: RedisWebAuthnChallengeStoreOptions) {
    this.records = new RedisSingleUseRecords(options.redis, {
      who: 'RedisWebAuthnChallengeStore({ redis })',
      keyPrefix: options.keyPrefix ?? 'routing-controllers-auth:webauthn-challenge:',
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

  async save(challenge: string, record: WebAuthnChallengeRecord, ttlSeconds: number): Promise<void> {
    await this.records.save(challengeKey(challenge), record, ttlSeconds);
  }

  async take(challenge: string): Promise<WebAuthnChallengeRecord | undefined> {
    return this.records.take(challengeKey(challenge));
  }
}
