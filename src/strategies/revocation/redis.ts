import type { Pluggable, PluginContext } from '../../lifecycle';
import type { RedisCommands } from '../../redis/commands';
import { RedisConnection } from '../../redis/connection';
import { RedisKeys } from '../../redis/keys';
import { textReply } from '../../redis/replies';
import type { AuthEvents } from '../../security/events';
import type { IssuedToken, RevocationStore } from './revocation-store';

/** The part of a node-redis 5 or 6 client (or cluster) this store uses. */
export type RedisRevocationClient = Pick<RedisCommands, 'isReady' | 'isOpen' | 'get' | 'set' | 'on'>;

export interface RedisRevocationStoreOptions {
  redis: RedisRevocationClient;
  /** Default `routing-controllers-auth:revoked:`. */
  keyPrefix?: string;
  /**
   * The longest a Redis call may take before the request gets a 503 instead of waiting on (the
   * check runs on every JWT request). Default 1000 ms; `null` waits as long as the client does.
   */
  commandTimeoutMs?: number | null;
}

/**
 * JWT revocations in Redis: `<prefix>jti:<jti>` until the token's expiry (TTL), and
 * `<prefix>user:<id>` holding the user's cut-off in ms (no TTL: one small key per user who
 * logged out everywhere or reset a password), `<prefix>sid:<session id>` for an ended session
 * until its tokens expire. The keys are read in one round trip.
 */
export class RedisRevocationStore implements RevocationStore, Pluggable {
  private readonly connection: RedisConnection<RedisRevocationClient>;
  private readonly keys: RedisKeys;

  constructor(options: RedisRevocationStoreOptions) {
    this.connection = new RedisConnection(options.redis, { who: 'RedisRevocationStore({ redis })', commandTimeoutMs: options.commandTimeoutMs });
    this.keys = new RedisKeys(options.keyPrefix ?? 'routing-controllers-auth:revoked:');
  }

  /** Reports the client's errors through the app's auth events (see `watchRedisErrors`). */
  init(context: PluginContext): void {
    this.connection.init(context);
  }

  /**
   * @deprecated Use `init({ events })` (what `Auth.configure` calls). Without `events`, only keeps
   * the client's `'error'` events from crashing the app, which the constructor does already.
   */
  reportErrorsTo(events?: AuthEvents): void {
    if (events) this.init({ events });
  }

  async ready(): Promise<void> {
    await this.connection.ready();
  }

  async isRevoked(token: IssuedToken): Promise<boolean> {
    // Issued in the same tick, node-redis pipelines the GETs into one round trip.
    const [denied, cutoff, session] = await this.connection.run((redis) =>
      Promise.all([
        redis.get(this.keys.key(`jti:${token.tokenId}`)),
        redis.get(this.keys.key(`user:${token.userId}`)),
        token.sessionId === undefined ? null : redis.get(this.keys.key(`sid:${token.sessionId}`)),
      ]),
    );
    if (denied != null || session != null) return true;
    const cutoffMs = textReply(cutoff);
    return cutoffMs !== null && token.issuedAtMs <= Number(cutoffMs);
  }

  async revoke(token: IssuedToken): Promise<void> {
    const ttl = token.expiresAt.getTime() - Date.now();
    if (ttl <= 0) return; // already expired: nothing to deny
    await this.connection.run((redis) => redis.set(this.keys.key(`jti:${token.tokenId}`), '1', { PX: ttl }));
  }

  async revokeAllIssuedBefore(userId: string, at: Date): Promise<void> {
    await this.connection.run((redis) => redis.set(this.keys.key(`user:${userId}`), String(at.getTime())));
  }

  async revokeSession(sessionId: string, until: Date): Promise<void> {
    const ttl = until.getTime() - Date.now();
    if (ttl <= 0) return;
    await this.connection.run((redis) => redis.set(this.keys.key(`sid:${sessionId}`), '1', { PX: ttl }));
  }
}
