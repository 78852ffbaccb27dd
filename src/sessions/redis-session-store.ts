import { sessionInfoOf, type NewSession, type SessionInfo, type SessionState, type SessionStore } from './session-store';
import { AuthConfigurationError } from '../errors';
import type { Pluggable, PluginContext } from '../lifecycle';
import type { RedisCommands } from '../redis/commands';
import { RedisConnection } from '../redis/connection';
import { RedisKeys } from '../redis/keys';
import { countReply, hashReply, membersReply, textReply } from '../redis/replies';

/** The part of a node-redis 5 or 6 client (or cluster) the store uses. */
export type RedisSessionClient = Pick<RedisCommands, 'isReady' | 'isOpen' | 'get' | 'set' | 'del' | 'sMembers' | 'sRem' | 'hGetAll' | 'eval' | 'on'>;

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
export class RedisSessionStore implements SessionStore, Pluggable {
  private readonly connection: RedisConnection<RedisSessionClient>;
  private readonly keys: RedisKeys;
  readonly keyPrefix: string;

  constructor(options: RedisSessionStoreOptions) {
    if (!options?.redis) throw new AuthConfigurationError('RedisSessionStore needs a node-redis client: new RedisSessionStore({ redis: client }).');
    this.connection = new RedisConnection(options.redis, {
      who: 'RedisSessionStore (refresh tokens of a RedisStrategy backend)',
      commandTimeoutMs: options.commandTimeoutMs,
    });
    this.keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_SESSION_PREFIX;
    this.keys = new RedisKeys(this.keyPrefix);
  }

  /** Reports the client's errors through the app's auth events (see `watchRedisErrors`). */
  init(context: PluginContext): void {
    this.connection.init(context);
  }

  async ready(): Promise<void> {
    await this.connection.ready();
  }

  sessionKey(sessionId: string): string {
    return this.keys.tagged('', sessionId);
  }

  digestKey(digest: string): string {
    return this.keys.key(`refresh:${digest}`);
  }

  userKey(userId: string): string {
    return this.keys.tagged('user:', userId);
  }

  async create(session: NewSession): Promise<void> {
    const ttl = ttlOf(session.expiresAt);
    if (ttl <= 0) return;
    await this.connection.run((redis) => redis.set(this.digestKey(session.currentDigest), session.id, { PX: ttl }));
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
    const hash = { keys: [this.sessionKey(session.id)], arguments: [String(ttl), ...Object.entries(fields).flat()] };
    await this.connection.run((redis) => redis.eval(CREATE_SCRIPT, hash));
    const index = { keys: [this.userKey(session.userId)], arguments: [session.id, String(ttl)] };
    await this.connection.run((redis) => redis.eval(INDEX_SCRIPT, index));
  }

  async findByDigest(digest: string): Promise<SessionState | null> {
    const sessionId = textReply(await this.connection.run((redis) => redis.get(this.digestKey(digest))));
    return sessionId === null ? null : this.get(sessionId);
  }

  async get(sessionId: string): Promise<SessionState | null> {
    return stateOf(sessionId, hashReply(await this.connection.run((redis) => redis.hGetAll(this.sessionKey(sessionId)))));
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
    const ttl = ttlOf(observed.expiresAt);
    if (ttl <= 0) return false;
    await this.connection.run((redis) => redis.set(this.digestKey(next), observed.id, { PX: ttl }));
    const decided = await this.connection.run((redis) => redis.eval(script, { keys: [this.sessionKey(observed.id)], arguments: args }));
    const won = countReply(decided) === 1;
    if (!won) await this.connection.run((redis) => redis.del(this.digestKey(next)));
    return won;
  }

  async listForUser(userId: string): Promise<SessionInfo[]> {
    const ids = await this.sessionIds(userId);
    const states = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => states[i] === null);
    if (gone.length > 0) await this.connection.run((redis) => redis.sRem(this.userKey(userId), gone));
    return states
      .filter((s): s is SessionState => s !== null)
      .map(sessionInfoOf)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async revoke(sessionId: string): Promise<SessionInfo | null> {
    const state = await this.get(sessionId);
    if (!state) return null;
    // DEL answers how many keys it removed: of two concurrent revocations, one reports the session.
    const removed = countReply(await this.connection.run((redis) => redis.del(this.sessionKey(sessionId))));
    await this.connection.run((redis) => redis.sRem(this.userKey(state.userId), sessionId));
    return removed === 1 ? sessionInfoOf(state) : null;
  }

  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<SessionInfo[]> {
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
    return membersReply(await this.connection.run((redis) => redis.sMembers(this.userKey(userId))));
  }
}

function ttlOf(expiresAt: Date): number {
  return expiresAt.getTime() - Date.now();
}

function stateOf(id: string, hash: Record<string, string> | null): SessionState | null {
  if (hash === null) return null;
  const text = (name: string): string | undefined => hash[name];
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
