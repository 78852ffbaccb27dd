import type { PluginContext } from '../../lifecycle';
import type { AuthEvents } from '../../security/events';
import { assertRedisOpen, assertRedisReady } from '../../stores/redis-ready';
import { watchRedisErrors } from '../../stores/redis-errors';
import type { IssuedToken, RevocationStore } from './revocation-store';

/** The part of a node-redis 5 or 6 client (or cluster) this store uses. */
export interface RedisRevocationClient {
  readonly isReady?: boolean;
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options?: { PX?: number }): Promise<unknown>;
}

export interface RedisRevocationStoreOptions {
  redis: RedisRevocationClient;
  /** Default `routing-controllers-auth:revoked:`. */
  keyPrefix?: string;
}

/**
 * JWT revocations in Redis: `<prefix>jti:<jti>` until the token's expiry (TTL), and
 * `<prefix>user:<id>` holding the user's cut-off in ms (no TTL: one small key per user who
 * logged out everywhere or reset a password). Both keys are read in one round trip.
 */
export class RedisRevocationStore implements RevocationStore {
  private readonly redis: RedisRevocationClient;
  private readonly prefix: string;

  constructor(options: RedisRevocationStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.keyPrefix ?? 'routing-controllers-auth:revoked:';
    this.reportErrorsTo();
  }

  /** Reports the client's errors through the app's auth events (from `JwtStrategy.init`). */
  init(context: PluginContext): void {
    this.reportErrorsTo(context.events);
  }

  /** Keeps the client's `'error'` events from crashing the app, and reports them (see `watchRedisErrors`). */
  reportErrorsTo(events?: AuthEvents): void {
    const client = this.redis as Partial<Parameters<typeof watchRedisErrors>[0]>;
    if (typeof client.on === 'function') watchRedisErrors(client as Parameters<typeof watchRedisErrors>[0], events);
  }

  async isRevoked(token: IssuedToken): Promise<boolean> {
    this.assertReady();
    // Issued in the same tick, node-redis pipelines the two GETs into one round trip.
    const [denied, cutoff, session] = await Promise.all([
      this.redis.get(`${this.prefix}jti:${token.tokenId}`),
      this.redis.get(`${this.prefix}user:${token.userId}`),
      token.sessionId === undefined ? null : this.redis.get(`${this.prefix}sid:${token.sessionId}`),
    ]);
    if (denied != null || session != null) return true;
    return cutoff != null && token.issuedAtMs <= Number(cutoff);
  }

  async revoke(token: IssuedToken): Promise<void> {
    this.assertReady();
    const ttl = token.expiresAt.getTime() - Date.now();
    if (ttl <= 0) return; // already expired: nothing to deny
    await this.redis.set(`${this.prefix}jti:${token.tokenId}`, '1', { PX: ttl });
  }

  async revokeAllIssuedBefore(userId: string, at: Date): Promise<void> {
    this.assertReady();
    await this.redis.set(`${this.prefix}user:${userId}`, String(at.getTime()));
  }

  async ready(): Promise<void> {
    assertRedisOpen(this.redis, 'RedisRevocationStore({ redis })');
  }

  async revokeSession(sessionId: string, until: Date): Promise<void> {
    this.assertReady();
    const ttl = until.getTime() - Date.now();
    if (ttl <= 0) return;
    await this.redis.set(`${this.prefix}sid:${sessionId}`, '1', { PX: ttl });
  }

  /** node-redis queues commands while reconnecting; fail at once instead, so the request gets its 503. */
  private assertReady(): void {
    assertRedisReady(this.redis);
  }
}
