import { AuthConfigurationError } from '../errors';
import type { PluginContext } from '../lifecycle';
import type { RedisCommands } from '../redis/commands';
import { RedisConnection } from '../redis/connection';
import { RedisKeys } from '../redis/keys';
import { countReply, hashReply, membersReply, textReply } from '../redis/replies';
import type { ApiKeyInfo, ApiKeyStore, StoredApiKey } from './api-key-store';

/** The part of a node-redis 5 or 6 client (or cluster) the store uses. */
export type ApiKeyRedisClient = Pick<RedisCommands, 'isReady' | 'isOpen' | 'get' | 'del' | 'sMembers' | 'sRem' | 'hGetAll' | 'eval' | 'on'>;

export interface RedisApiKeyStoreOptions {
  /** A connected node-redis 5 or 6 client or cluster. */
  redis: ApiKeyRedisClient;
  /** Prefix of every key the store writes. Default `routing-controllers-auth:api-key:`. */
  keyPrefix?: string;
  /** The longest a Redis call may take before the request gets a 503. Default 1000 ms; `null`: as long as the client waits. */
  commandTimeoutMs?: number | null;
}

/**
 * How long an expired key is kept: its holder is told `API_KEY_EXPIRED` (not "invalid"), and its
 * owner sees it in the list, for this long after it expires; then Redis drops it.
 */
export const EXPIRED_API_KEY_KEPT_MS = 30 * 24 * 3600 * 1000;

/** HSET of the key's fields, then its expiry (none: persistent). KEYS[1] the key's hash; ARGV[1] PEXPIREAT ms or -1; the rest field, value pairs. */
const WRITE_SCRIPT = `
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if tonumber(ARGV[1]) >= 0 then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return 1
`;

/** SET with an optional PEXPIREAT. KEYS[1]; ARGV[1] value; ARGV[2] PEXPIREAT ms or -1. */
const SET_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) >= 0 then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return 1
`;

/** SADD, kept as a script so the store needs no more commands than the kit types. KEYS[1] the set; ARGV[1] the member. */
const ADD_SCRIPT = `return redis.call('SADD', KEYS[1], ARGV[1])`;

/**
 * Sets lastUsedAt unless it is already at or after the cut-off: check and set in one step, so
 * instances sharing Redis write at most once per interval between them. KEYS[1] the key's hash;
 * ARGV[1] now in ms; ARGV[2] the cut-off in ms.
 */
const TOUCH_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local last = redis.call('HGET', KEYS[1], 'lastUsedAt')
if last and last ~= '' and tonumber(last) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'lastUsedAt', ARGV[1])
return 1
`;

/**
 * API keys in Redis, shared by every app instance using it: one HGETALL per request.
 *
 * Layout (`<p>` = `keyPrefix`): `<p>digest:<sha256 hex>` → a hash of the key's fields (expiring
 * for 30 days past the key's expiry); `<p>id:<id>` → the digest (expiring alike); `<p>user:<userId>` → a set of the
 * user's key ids. Each command touches one key, so it runs on a Redis Cluster as it is; writes go
 * index first, so a crash between two leaves a stale id in a list, never an unlisted key.
 */
export class RedisApiKeyStore implements ApiKeyStore {
  private readonly connection: RedisConnection<ApiKeyRedisClient>;
  private readonly keys: RedisKeys;

  constructor(options: RedisApiKeyStoreOptions) {
    if (!options?.redis) throw new AuthConfigurationError('RedisApiKeyStore needs a node-redis client: new RedisApiKeyStore({ redis: client }).');
    this.keys = new RedisKeys(options.keyPrefix ?? 'routing-controllers-auth:api-key:');
    this.connection = new RedisConnection(options.redis, { who: 'RedisApiKeyStore({ redis })', commandTimeoutMs: options.commandTimeoutMs });
  }

  init(context: PluginContext): void {
    this.connection.init(context);
  }

  async ready(): Promise<void> {
    await this.connection.ready();
  }

  async create(key: StoredApiKey): Promise<void> {
    const expiry = key.expiresAt ? String(key.expiresAt.getTime() + EXPIRED_API_KEY_KEPT_MS) : '-1';
    const fields = fieldsOf(key);
    await this.run(ADD_SCRIPT, [this.userKey(key.userId)], [key.id]);
    await this.run(SET_SCRIPT, [this.idKey(key.id)], [key.keyHash, expiry]);
    await this.run(WRITE_SCRIPT, [this.digestKey(key.keyHash)], [expiry, ...Object.entries(fields).flat()]);
  }

  async findByDigest(keyHash: string): Promise<StoredApiKey | null> {
    const hash = hashReply(await this.connection.run((redis) => redis.hGetAll(this.digestKey(keyHash))));
    return hash ? storedOf(hash, keyHash) : null;
  }

  async get(id: string): Promise<ApiKeyInfo | null> {
    const keyHash = await this.digestOf(id);
    const key = keyHash === null ? null : await this.findByDigest(keyHash);
    return key && key.id === id ? infoOf(key) : null;
  }

  async listForUser(userId: string): Promise<ApiKeyInfo[]> {
    const ids = membersReply(await this.connection.run((redis) => redis.sMembers(this.userKey(userId))));
    const keys = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => keys[i] === null);
    // Housekeeping: ids whose key expired leave the list.
    if (gone.length > 0) await this.connection.run((redis) => redis.sRem(this.userKey(userId), gone)).catch(() => undefined);
    return keys.filter((k): k is ApiKeyInfo => k !== null && k.userId === userId).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async revoke(id: string): Promise<ApiKeyInfo | null> {
    const keyHash = await this.digestOf(id);
    if (keyHash === null) return null;
    const key = await this.findByDigest(keyHash);
    // The digest first: once it is gone the key authenticates nothing, whatever happens next.
    const deleted = countReply(await this.connection.run((redis) => redis.del(this.digestKey(keyHash))));
    await this.connection.run((redis) => redis.del(this.idKey(id)));
    if (key) await this.connection.run((redis) => redis.sRem(this.userKey(key.userId), id));
    return key && deleted > 0 ? infoOf(key) : null;
  }

  async revokeAllForUser(userId: string): Promise<number> {
    const ids = membersReply(await this.connection.run((redis) => redis.sMembers(this.userKey(userId))));
    const revoked = await Promise.all(ids.map((id) => this.revoke(id)));
    return revoked.filter((k) => k !== null).length;
  }

  async touch(id: string, at: Date, notBefore: Date): Promise<boolean> {
    const keyHash = await this.digestOf(id);
    if (keyHash === null) return false;
    return countReply(await this.run(TOUCH_SCRIPT, [this.digestKey(keyHash)], [String(at.getTime()), String(notBefore.getTime())])) === 1;
  }

  private run(script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.connection.run((redis) => redis.eval(script, { keys, arguments: args }));
  }

  private async digestOf(id: string): Promise<string | null> {
    return textReply(await this.connection.run((redis) => redis.get(this.idKey(id))));
  }

  private digestKey(keyHash: string): string {
    return this.keys.key(`digest:${keyHash}`);
  }

  private idKey(id: string): string {
    return this.keys.key(`id:${id}`);
  }

  private userKey(userId: string): string {
    return this.keys.key(`user:${userId}`);
  }
}

function fieldsOf(key: StoredApiKey): Record<string, string> {
  return {
    id: key.id,
    userId: key.userId,
    name: key.name,
    start: key.start,
    scopes: JSON.stringify(key.scopes),
    allowedIps: JSON.stringify(key.allowedIps),
    createdAt: String(key.createdAt.getTime()),
    expiresAt: key.expiresAt ? String(key.expiresAt.getTime()) : '',
    lastUsedAt: key.lastUsedAt ? String(key.lastUsedAt.getTime()) : '',
  };
}

/** A hash we did not write (or a corrupt one) is no key. */
function storedOf(hash: Record<string, string>, keyHash: string): StoredApiKey | null {
  const { id, userId, name, start, scopes, allowedIps, createdAt, expiresAt, lastUsedAt } = hash;
  if (!id || !userId || name === undefined || start === undefined || !createdAt) return null;
  const parsedScopes = parseJson(scopes);
  const parsedIps = parseJson(allowedIps);
  if (!isStringArray(parsedScopes) || (parsedIps !== null && !isStringArray(parsedIps))) return null;
  const time = (value: string | undefined) => (value ? new Date(Number(value)) : null);
  const created = time(createdAt);
  if (!created || Number.isNaN(created.getTime())) return null;
  return {
    keyHash,
    id,
    userId,
    name,
    start,
    scopes: parsedScopes,
    allowedIps: parsedIps,
    createdAt: created,
    expiresAt: time(expiresAt),
    lastUsedAt: time(lastUsedAt),
  };
}

function infoOf({ keyHash: _digest, ...info }: StoredApiKey): ApiKeyInfo {
  return info;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
