import { AuthConfigurationError } from '../errors';
import type { Pluggable, PluginContext } from '../lifecycle';
import type { RedisCommands, RedisMulti } from '../redis/commands';
import { RedisConnection } from '../redis/connection';
import { RedisKeys } from '../redis/keys';
import { countReply, membersReply, textReply } from '../redis/replies';
import { digestToken, generateOpaqueToken, isWellFormedOpaqueToken } from './opaque-token';
import type { Strategy, TokenGrant, TokenRejection, TokenRequest } from './strategy';
import { lifetimeOption } from '../options';
import { redisSessionStoreOn } from '../sessions/default-stores';
import type { SessionStore } from '../sessions/session-store';

/** @deprecated Use `RedisMulti` (the MULTI of `RedisCommands`). */
export type RedisMultiLike = RedisMulti;

/**
 * The part of a node-redis 5 or 6 client the strategy uses. Both `createClient()` and
 * `createCluster()` results fit.
 */
export type RedisClientLike = Pick<RedisCommands, 'isReady' | 'isOpen' | 'get' | 'set' | 'del' | 'sMembers' | 'sRem' | 'exists' | 'eval' | 'multi' | 'on'>;

export interface RedisStrategyOptions {
  /**
   * A connected node-redis 5 or 6 client or cluster, created by the app. Recommended:
   * `createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 1000, reconnectStrategy: (n) => Math.min(50 * 2 ** n, 1000) } })`
   * (see docs/scale-out.md).
   */
  redis: RedisClientLike;
  /**
   * Seconds a token lives (the key's TTL); `null` for tokens without expiry, whose keys then
   * live until logout or `destroyAllForUser`. Default 3600.
   */
  lifetimeSeconds?: number | null;
  /** Prefix of every key the strategy writes. Default `routing-controllers-auth:token:`. */
  keyPrefix?: string;
  /**
   * The longest a Redis call may take before the request gets a 503 instead of waiting on.
   * Default 1000 ms; `null` waits as long as the client does.
   */
  commandTimeoutMs?: number | null;
}

export const DEFAULT_REDIS_KEY_PREFIX = 'routing-controllers-auth:token:';

/**
 * Adds a digest to a user's index and keeps the index alive exactly as long as its longest
 * token: its TTL only ever grows, and it has none while it holds a token without expiry.
 * A script, because "extend unless eternal" is a read-then-write that must not interleave.
 * It touches one key, so it runs on a cluster too. KEYS[1] index; ARGV[1] digest;
 * ARGV[2] the token's lifetime in ms, or -1 for none. Returns the index's size.
 */
const INDEX_SCRIPT = `
local ttl = tonumber(ARGV[2])
local current = redis.call('PTTL', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
if ttl < 0 then
  redis.call('PERSIST', KEYS[1])
elseif current == -2 or (current >= 0 and current < ttl) then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return redis.call('SCARD', KEYS[1])
`;

/** An index this large gets its expired digests pruned at the next login. */
const PRUNE_THRESHOLD = 64;

/**
 * Opaque tokens stored in Redis: one GET per request, revocable at once, shared by every app
 * instance that uses the same Redis.
 *
 * Layout (`<p>` = `keyPrefix`):
 * - `<p><sha256 hex of the token>` → JSON `{userId, scopes}`, TTL = the token's lifetime.
 *   Only the digest is stored: a dump of Redis yields nothing that authenticates.
 * - `<p>user:<userId>` → a set of that user's token digests, so `destroyAllForUser` is one call;
 *   its TTL follows the user's longest-lived token.
 *
 * A Redis that cannot be reached surfaces as `BackendUnavailableError` (503
 * `AUTH_BACKEND_UNAVAILABLE`), bounded in time: a disconnected client is refused at once
 * (node-redis would otherwise queue the command until it reconnects), and every call gives up
 * after `commandTimeoutMs` (see `RedisConnection`).
 */
export class RedisStrategy implements Strategy, Pluggable {
  readonly lifetimeSeconds: number | null;
  readonly keyPrefix: string;
  /** The client the strategy was given (a backend with refresh keeps its sessions there by default). */
  readonly redis: RedisClientLike;
  private readonly connection: RedisConnection<RedisClientLike>;
  private readonly keys: RedisKeys;

  constructor(options: RedisStrategyOptions) {
    if (!options?.redis) throw new AuthConfigurationError('RedisStrategy needs a node-redis client: new RedisStrategy({ redis: client }).');
    this.redis = options.redis;
    this.lifetimeSeconds = lifetimeOption(options.lifetimeSeconds, 'RedisStrategy: lifetimeSeconds', true);
    this.keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    this.keys = new RedisKeys(this.keyPrefix);
    this.connection = new RedisConnection(this.redis, { who: 'RedisStrategy({ redis })', commandTimeoutMs: options.commandTimeoutMs });
  }

  async ready(): Promise<void> {
    await this.connection.ready();
  }

  /** Reports the client's errors through the app's auth events (see `watchRedisErrors`). */
  init(context: PluginContext): void {
    this.connection.init(context);
  }

  /** A backend with refresh and no store of its own keeps its sessions in this Redis (one store per client). */
  defaultSessionStore(): SessionStore {
    return redisSessionStoreOn(this.redis);
  }

  async write(request: TokenRequest): Promise<string> {
    const token = generateOpaqueToken();
    if (request.lifetimeSeconds !== null && !Number.isFinite(request.lifetimeSeconds)) {
      throw new TypeError('RedisStrategy: lifetimeSeconds must be a finite number, or null for no expiry.');
    }
    const lifetimeMs = request.lifetimeSeconds === null ? null : Math.ceil(request.lifetimeSeconds * 1000);
    // A token born expired (lifetime ≤ 0) is never stored: reading it finds nothing, as with any expired token.
    if (lifetimeMs !== null && lifetimeMs <= 0) return token;

    const digest = digestToken(token);
    const key = this.tokenKey(digest);
    const value = JSON.stringify(storedGrantOf(request));
    const setOptions = lifetimeMs === null ? undefined : { PX: lifetimeMs };
    const index = { keys: [this.indexKey(request.userId)], arguments: [digest, String(lifetimeMs ?? -1)] };

    let indexSize: unknown;
    if (this.connection.isCluster) {
      // Index first: a crash between the two leaves a stale digest, never an unindexed token.
      indexSize = await this.connection.run((redis) => redis.eval(INDEX_SCRIPT, index));
      await this.connection.run((redis) => redis.set(key, value, setOptions));
    } else {
      const replies = await this.connection.run((redis) => redis.multi().set(key, value, setOptions).eval(INDEX_SCRIPT, index).exec());
      indexSize = (replies as unknown[])[1];
    }
    if (request.sessionId !== undefined) {
      const sessionIndex = { keys: [this.sessionIndexKey(request.sessionId)], arguments: index.arguments };
      await this.connection.run((redis) => redis.eval(INDEX_SCRIPT, sessionIndex));
    }
    // Housekeeping only: the token is stored, so a failed prune must not fail the login.
    if (countReply(indexSize) > PRUNE_THRESHOLD) await this.pruneIndex(request.userId).catch(() => undefined);
    return token;
  }

  async read(token: string): Promise<TokenGrant | TokenRejection> {
    if (!isWellFormedOpaqueToken(token)) return { rejected: 'malformed' };
    const raw = await this.connection.run((redis) => redis.get(this.tokenKey(digestToken(token))));
    // Expired keys are gone: Redis cannot tell "expired" from "never issued" or "logged out".
    if (raw === null || raw === undefined) return { rejected: 'unknown' };
    const text = textReply(raw);
    return (text === null ? null : parseGrant(text)) ?? { rejected: 'invalid_claims' };
  }

  async destroy(token: string, grant: TokenGrant): Promise<void> {
    if (!isWellFormedOpaqueToken(token)) return;
    const digest = digestToken(token);
    const tokenKey = this.tokenKey(digest);
    const indexKey = this.indexKey(grant.userId);
    if (this.connection.isCluster) {
      await this.connection.run((redis) => Promise.all([redis.del(tokenKey), redis.sRem(indexKey, digest)]));
    } else {
      await this.connection.run((redis) => redis.multi().del(tokenKey).sRem(indexKey, digest).exec());
    }
  }

  /**
   * Destroys every token of the user ("log out everywhere"). A token issued while this runs
   * is not in the snapshot and stays valid: it was issued after the logout.
   */
  async destroyAllForUser(userId: string, options: { exceptSessionId?: string } = {}): Promise<void> {
    let digests = await this.indexedDigests(this.indexKey(userId));
    if (options.exceptSessionId !== undefined) {
      const spared = new Set(await this.indexedDigests(this.sessionIndexKey(options.exceptSessionId)));
      digests = digests.filter((digest) => !spared.has(digest));
    }
    // Removes only the digests it deleted, so a digest added meanwhile stays indexed.
    await this.deleteIndexed(this.indexKey(userId), digests);
  }

  /** Destroys every token of a session (its index lists them). */
  async destroySession(sessionId: string): Promise<void> {
    const indexKey = this.sessionIndexKey(sessionId);
    // Removes only the digests it deleted (never the whole index): a token of the session being
    // indexed meanwhile stays listed, so the next destroySession still finds it.
    await this.deleteIndexed(indexKey, await this.indexedDigests(indexKey));
  }

  /** The Redis key of a token digest. */
  tokenKey(digest: string): string {
    return this.keys.key(digest);
  }

  /** The Redis key of a user's index of token digests. */
  indexKey(userId: string): string {
    return this.keys.key(`user:${userId}`);
  }

  /** The Redis key of a session's index of access token digests. */
  sessionIndexKey(sessionId: string): string {
    return this.keys.key(`session:${sessionId}`);
  }

  /** Deletes the tokens of `digests`, then takes those digests (only) out of the index at `indexKey`. */
  private async deleteIndexed(indexKey: string, digests: string[]): Promise<void> {
    if (digests.length === 0) return;
    const keys = digests.map((digest) => this.tokenKey(digest));
    if (this.connection.isCluster) {
      await this.connection.run((redis) => Promise.all(keys.map((key) => redis.del(key))));
      await this.connection.run((redis) => redis.sRem(indexKey, digests));
    } else {
      await this.connection.run((redis) => redis.multi().del(keys).sRem(indexKey, digests).exec());
    }
  }

  /** Drops digests whose token has expired, so a user who logs in often has a bounded index. */
  private async pruneIndex(userId: string): Promise<void> {
    const digests = await this.indexedDigests(this.indexKey(userId));
    const alive = await this.connection.run((redis) => Promise.all(digests.map((digest) => redis.exists(this.tokenKey(digest)))));
    const expired = digests.filter((_, i) => countReply(alive[i]) === 0);
    if (expired.length > 0) await this.connection.run((redis) => redis.sRem(this.indexKey(userId), expired));
  }

  private async indexedDigests(indexKey: string): Promise<string[]> {
    return membersReply(await this.connection.run((redis) => redis.sMembers(indexKey)));
  }
}

/** What the token's key holds: the grant, the sign-in time as epoch ms. */
function storedGrantOf(request: TokenRequest): Record<string, unknown> {
  const value: Record<string, unknown> = { userId: request.userId, scopes: request.scopes };
  if (request.sessionId !== undefined) value.sessionId = request.sessionId;
  if (request.authTime !== undefined) value.authTime = request.authTime.getTime();
  if (request.amr !== undefined) value.amr = request.amr;
  return value;
}

/** A stored value we did not write (or a corrupt one) is no grant. */
function parseGrant(raw: string): TokenGrant | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const { userId, scopes, sessionId, authTime, amr } = (value ?? {}) as Record<string, unknown>;
  if (typeof userId !== 'string' || !isStringArray(scopes)) return null;
  const grant: TokenGrant = { userId, scopes };
  if (sessionId !== undefined) {
    if (typeof sessionId !== 'string') return null;
    grant.sessionId = sessionId;
  }
  if (authTime !== undefined) {
    if (typeof authTime !== 'number' || !Number.isFinite(authTime)) return null;
    grant.authTime = new Date(authTime);
  }
  if (amr !== undefined) {
    if (!isStringArray(amr)) return null;
    grant.amr = amr;
  }
  return grant;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
