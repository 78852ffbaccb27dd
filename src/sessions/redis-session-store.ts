import { sessionInfoOf, type NewSession, type SessionInfo, type SessionState, type SessionStore } from './session-store';
import { assertRedisOpen, assertRedisReady, withinRedisTimeout } from '../stores/redis-ready';
import { AuthConfigurationError } from '../errors';

/** The part of a node-redis v5 client (or cluster) the store uses. */
export interface RedisSessionClient {
  readonly isReady?: boolean;
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options?: { PX?: number }): Promise<unknown>;
  del(keys: string | string[]): Promise<unknown>;
  sMembers(key: string): Promise<unknown>;
  sRem(key: string, members: string | string[]): Promise<unknown>;
  hGetAll(key: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface RedisSessionStoreOptions {
  redis: RedisSessionClient;
  /** Default `routing-controllers-auth:session:`. */
  keyPrefix?: string;
  /**
   * The longest a Redis call may take before the request gets a 503 instead of waiting on.
   * Default 1000 ms; `null` waits as long as the client does.
   */
  commandTimeoutMs?: number | null;
}

export const DEFAULT_REDIS_SESSION_PREFIX = 'routing-controllers-auth:session:';

/** Writes a session hash and its TTL. KEYS[1] session; ARGV[1] TTL ms; then field, value pairs. */
const CREATE_SCRIPT = `
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

/** Adds a member to an index whose TTL only grows. KEYS[1] index; ARGV[1] member; ARGV[2] TTL ms. */
const INDEX_SCRIPT = `
local current = redis.call('PTTL', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
if current < 0 or current < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

/** Compare-and-set rotation. KEYS[1] session; ARGV[1] expected live digest; ARGV[2] next; ARGV[3] now ms. */
const ROTATE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'current') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'current', ARGV[2], 'previous', ARGV[1], 'rotatedAt', ARGV[3], 'lastUsedAt', ARGV[3])
return 1
`;

/** Compare-and-set successor replacement. ARGV[1] previous; ARGV[2] expected live digest; ARGV[3] next; ARGV[4] now ms. */
const REPLACE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'current') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'previous') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'current', ARGV[3], 'lastUsedAt', ARGV[4])
return 1
`;

/**
 * Sessions in Redis, shared by every app instance using it. Layout (`<p>` = `keyPrefix`):
 * - `<p>{<sessionId>}` → a hash with the session and its rotation state, TTL = the session's
 *   absolute expiry. Every script touches this one key, so rotation is atomic on Redis Cluster too.
 * - `<p>refresh:<sha256 of a refresh token>` → the session id, for every token the session was
 *   given (so a rotated token presented again is recognised as reuse); same TTL.
 * - `<p>user:{<userId>}` → the user's session ids (the session list, "log out everywhere").
 * Keys carry hash tags (`{…}`), so each lives in one slot of a cluster.
 */
export class RedisSessionStore implements SessionStore {
  private readonly redis: RedisSessionClient;
  /** The app's client itself (for `ready()`): `redis` wraps it with time bounds. */
  private readonly client: RedisSessionClient;
  readonly keyPrefix: string;

  constructor(options: RedisSessionStoreOptions) {
    if (!options?.redis) throw new AuthConfigurationError('RedisSessionStore needs a node-redis client: new RedisSessionStore({ redis: client }).');
    this.client = options.redis;
    this.redis = boundedClient(options.redis, options.commandTimeoutMs === undefined ? 1000 : options.commandTimeoutMs);
    this.keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_SESSION_PREFIX;
  }

  sessionKey(sessionId: string): string {
    return `${this.keyPrefix}{${sessionId}}`;
  }

  digestKey(digest: string): string {
    return `${this.keyPrefix}refresh:${digest}`;
  }

  userKey(userId: string): string {
    return `${this.keyPrefix}user:{${userId}}`;
  }

  async create(session: NewSession): Promise<void> {
    this.assertReady();
    const ttl = ttlOf(session.expiresAt);
    if (ttl <= 0) return;
    await this.redis.set(this.digestKey(session.currentDigest), session.id, { PX: ttl });
    const fields = {
      userId: session.userId,
      backend: session.backend,
      scopes: JSON.stringify(session.scopes),
      createdAt: String(session.createdAt.getTime()),
      lastUsedAt: String(session.lastUsedAt.getTime()),
      expiresAt: String(session.expiresAt.getTime()),
      userAgent: session.userAgent ?? '',
      ip: session.ip ?? '',
      authTime: session.authTime ? String(session.authTime.getTime()) : '',
      amr: JSON.stringify(session.amr),
      current: session.currentDigest,
    };
    await this.redis.eval(CREATE_SCRIPT, { keys: [this.sessionKey(session.id)], arguments: [String(ttl), ...Object.entries(fields).flat()] });
    await this.redis.eval(INDEX_SCRIPT, { keys: [this.userKey(session.userId)], arguments: [session.id, String(ttl)] });
  }

  async findByDigest(digest: string): Promise<SessionState | null> {
    this.assertReady();
    const sessionId = await this.redis.get(this.digestKey(digest));
    return typeof sessionId === 'string' ? this.get(sessionId) : Buffer.isBuffer(sessionId) ? this.get(sessionId.toString('utf8')) : null;
  }

  async get(sessionId: string): Promise<SessionState | null> {
    this.assertReady();
    return stateOf(sessionId, await this.redis.hGetAll(this.sessionKey(sessionId)));
  }

  async rotate(observed: SessionState, next: string, now: Date): Promise<boolean> {
    return this.swap(observed, next, ROTATE_SCRIPT, [observed.currentDigest, next, String(now.getTime())]);
  }

  async replaceSuccessor(observed: SessionState, next: string, now: Date): Promise<boolean> {
    if (observed.previousDigest === null) return false;
    return this.swap(observed, next, REPLACE_SCRIPT, [observed.previousDigest, observed.currentDigest, next, String(now.getTime())]);
  }

  /** The digest key goes in first (harmless alone), then one script decides; a lost race deletes it again. */
  private async swap(observed: SessionState, next: string, script: string, args: string[]): Promise<boolean> {
    this.assertReady();
    const ttl = ttlOf(observed.expiresAt);
    if (ttl <= 0) return false;
    await this.redis.set(this.digestKey(next), observed.id, { PX: ttl });
    const won = Number(await this.redis.eval(script, { keys: [this.sessionKey(observed.id)], arguments: args })) === 1;
    if (!won) await this.redis.del(this.digestKey(next));
    return won;
  }

  async listForUser(userId: string): Promise<SessionInfo[]> {
    this.assertReady();
    const ids = await this.sessionIds(userId);
    const states = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => states[i] === null);
    if (gone.length > 0) await this.redis.sRem(this.userKey(userId), gone);
    return states
      .filter((s): s is SessionState => s !== null)
      .map(sessionInfoOf)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async revoke(sessionId: string): Promise<SessionInfo | null> {
    const state = await this.get(sessionId);
    if (!state) return null;
    // DEL answers how many keys it removed: of two concurrent revocations, one reports the session.
    const removed = Number(await this.redis.del(this.sessionKey(sessionId)));
    await this.redis.sRem(this.userKey(state.userId), sessionId);
    return removed === 1 ? sessionInfoOf(state) : null;
  }

  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<SessionInfo[]> {
    this.assertReady();
    const ended: SessionInfo[] = [];
    for (const id of await this.sessionIds(userId)) {
      if (id === exceptSessionId) continue;
      const info = await this.revoke(id);
      if (info) ended.push(info);
    }
    return ended;
  }

  /** Redis expires sessions and digests itself (every key has the session's TTL): nothing to do. */
  async purgeExpired(): Promise<number> {
    return 0;
  }

  private async sessionIds(userId: string): Promise<string[]> {
    const members = await this.redis.sMembers(this.userKey(userId));
    const list = members instanceof Set ? [...members] : Array.isArray(members) ? members : [];
    return list.map(String);
  }

  async ready(): Promise<void> {
    assertRedisOpen(this.client, 'RedisSessionStore (refresh tokens of a RedisStrategy backend)');
  }

  private assertReady(): void {
    assertRedisReady(this.redis);
  }
}

/** The client with every call given up after `limitMs` (a Redis that accepts but never answers). */
function boundedClient(redis: RedisSessionClient, limitMs: number | null): RedisSessionClient {
  if (limitMs === null) return redis;
  const bounded = <T>(promise: Promise<T>): Promise<T> => withinRedisTimeout(promise, limitMs);
  return {
    get isReady() {
      return redis.isReady;
    },
    get: (key) => bounded(redis.get(key)),
    set: (key, value, options) => bounded(redis.set(key, value, options)),
    del: (keys) => bounded(redis.del(keys)),
    sMembers: (key) => bounded(redis.sMembers(key)),
    sRem: (key, members) => bounded(redis.sRem(key, members)),
    hGetAll: (key) => bounded(redis.hGetAll(key)),
    eval: (script, options) => bounded(redis.eval(script, options)),
  };
}

function ttlOf(expiresAt: Date): number {
  return expiresAt.getTime() - Date.now();
}

function stateOf(id: string, raw: unknown): SessionState | null {
  if (raw === null || typeof raw !== 'object') return null;
  const hash = raw as Record<string, unknown>;
  const text = (name: string): string | undefined => {
    const value = hash[name];
    if (value === undefined || value === null) return undefined;
    if (Buffer.isBuffer(value)) return value.toString('utf8');
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  };
  const userId = text('userId');
  const current = text('current');
  const expiresAt = Number(text('expiresAt'));
  if (!userId || !current || !Number.isFinite(expiresAt)) return null;
  let scopes: unknown;
  try {
    scopes = JSON.parse(text('scopes') ?? '[]');
  } catch {
    return null;
  }
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) return null;
  const rotatedAt = text('rotatedAt');
  const authTime = Number(text('authTime') || NaN);
  let amr: unknown;
  try {
    amr = JSON.parse(text('amr') || '[]');
  } catch {
    return null;
  }
  if (!Array.isArray(amr) || !amr.every((m) => typeof m === 'string')) return null;
  return {
    id,
    userId,
    backend: text('backend') ?? '',
    scopes,
    createdAt: new Date(Number(text('createdAt'))),
    lastUsedAt: new Date(Number(text('lastUsedAt'))),
    expiresAt: new Date(expiresAt),
    userAgent: text('userAgent') || null,
    ip: text('ip') || null,
    authTime: Number.isFinite(authTime) ? new Date(authTime) : null,
    amr,
    currentDigest: current,
    previousDigest: text('previous') ?? null,
    rotatedAt: rotatedAt ? new Date(Number(rotatedAt)) : null,
  };
}
