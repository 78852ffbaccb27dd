import { randomUUID } from 'crypto';
import { API_KEY_EXPIRED_ANSWER, API_KEY_INVALID_ANSWER } from '../api-keys/answers';
import type { ApiKeyCredential, ApiKeyInfo, ApiKeyStore, ApiKeyWithOwner } from '../api-keys/api-key-store';
import { ApiKeyFormat, checkedPrefix, digestApiKey } from '../api-keys/key-format';
import { IpRanges, MAX_ALLOWED_IPS, normaliseRange } from '../api-keys/ip-ranges';
import { LastUseThrottle } from '../api-keys/last-use';
import { TypeOrmApiKeyStore } from '../api-keys/typeorm-api-key-store';
import type { BaseUser } from '../entities/base-user';
import { ApiKeyScopeNotAllowedError, AuthConfigurationError, ErrorCode, ValidationError } from '../errors';
import type { PluginContext } from '../lifecycle';
import { KeyBudget, type Limit } from '../security/rate-limits';
import type { UserTable } from '../users/user-store';
import type { Strategy, TokenAndUserReader, TokenGrant, TokenReadRequest, TokenRejection } from './strategy';

/** `ApiKeyStrategy`'s per-key rate limit: each key may make `points` requests per `durationSeconds`. */
export interface ApiKeyRateLimit extends Limit {
  /** A connected node-redis client shared by every instance; default: this process's memory. */
  redis?: unknown;
  /** Prefix of the Redis keys. Default `routing-controllers-auth:rate:api-key:`. */
  keyPrefix?: string;
  /** The longest a Redis call may take before the request counts in memory. Default 1000 ms. */
  commandTimeoutMs?: number | null;
}

export interface ApiKeyStrategyOptions {
  /** Where the keys live. Default: the `ApiKey` table of `Auth.configure`'s DataSource (`TypeOrmApiKeyStore`). */
  store?: ApiKeyStore;
  /** The keys' prefix (what secret scanners match): 2–16 lower-case letters or digits. Default `rca`. */
  prefix?: string;
  /** Requests each key may make per period (429 `TOO_MANY_REQUESTS` with `Retry-After` past it). Default: no limit. */
  rateLimit?: ApiKeyRateLimit;
  /** The longest `expiresInDays` a new key may ask for; null: keys may live forever. Default null. */
  maxExpiresInDays?: number | null;
  /** The most keys one user may hold. Default 100. */
  maxKeysPerUser?: number;
  /** Seconds between two writes of a key's `lastUsedAt` (never on every request). Default 60. */
  lastUsedIntervalSeconds?: number;
}

/** What a new key is made of (`POST /api-keys`'s body). */
export interface NewApiKeyRequest {
  name: string;
  /** A subset of the owner's scopes (else `ApiKeyScopeNotAllowedError`). */
  scopes: string[];
  /** Whole days until it expires; absent or null: never (unless the strategy sets a maximum). */
  expiresInDays?: number | null;
  /** CIDR ranges (IPv4, IPv6) or single addresses it may be used from; absent or empty: anywhere. */
  allowedIps?: string[] | null;
}

/** A key just made: the key itself, which is shown this once and never stored, and its info. */
export interface CreatedApiKey {
  key: string;
  info: ApiKeyInfo;
}

const DAY_MS = 24 * 3600 * 1000;
const MAX_NAME_LENGTH = 100;

/**
 * API keys (personal access tokens) for scripts, CI jobs and other services: long-lived,
 * revocable, scoped credentials in GitHub's format (`rca_<random>_<crc32>`), so secret scanners can
 * find leaked ones and a mistyped one is refused before any lookup. Any transport can carry them
 * (`ApiKeyTransport` reads `Authorization: Bearer` and, when configured, a header such as `X-API-Key`).
 *
 * Only a key's SHA-256 digest is stored. On every request, a key grants its scopes ∩ what its owner
 * has now, and nothing once the owner is deactivated or deleted; it is no session (`principal.kind`
 * is `api_key`): session-only routes and step-up checks refuse it. Keys are made by
 * `ApiKeysController` (`POST /api-keys`) or `createKey`, never by a login or `auth.createToken`.
 */
export class ApiKeyStrategy implements Strategy {
  /** Keys carry their own expiry. */
  readonly lifetimeSeconds = null;
  readonly refusalCodes: readonly ErrorCode[] = [ErrorCode.API_KEY_INVALID, ErrorCode.API_KEY_EXPIRED];
  /** A key is no session: session-only routes refuse it (and their documents leave it out). */
  readonly sessionless = true;
  readonly format: ApiKeyFormat;
  readonly store: ApiKeyStore;
  readonly maxExpiresInDays: number | null;
  readonly maxKeysPerUser: number;
  private readonly budget: KeyBudget | undefined;
  private readonly lastUse: LastUseThrottle;
  private readonly joinedReaders = new WeakMap<object, TokenAndUserReader<BaseUser>>();

  constructor(options: ApiKeyStrategyOptions = {}) {
    this.format = new ApiKeyFormat(checkedPrefix(options.prefix));
    this.store = options.store ?? new TypeOrmApiKeyStore();
    this.maxExpiresInDays = wholeOption(options.maxExpiresInDays ?? null, 'maxExpiresInDays', true);
    this.maxKeysPerUser = wholeOption(options.maxKeysPerUser ?? 100, 'maxKeysPerUser', false) as number;
    const interval = options.lastUsedIntervalSeconds ?? 60;
    if (!Number.isFinite(interval) || interval < 0) throw new AuthConfigurationError('ApiKeyStrategy: lastUsedIntervalSeconds must be a number ≥ 0.');
    this.lastUse = new LastUseThrottle(this.store, interval * 1000);
    const limit = options.rateLimit;
    this.budget = limit
      ? new KeyBudget(limit, {
          redis: limit.redis,
          keyPrefix: limit.keyPrefix ?? 'routing-controllers-auth:rate:api-key:',
          commandTimeoutMs: limit.commandTimeoutMs,
          who: 'ApiKeyStrategy({ rateLimit })',
        })
      : undefined;
  }

  init(context: PluginContext): void {
    this.store.init?.(context);
    this.budget?.init(context);
    this.lastUse.init(context);
  }

  async ready(): Promise<void> {
    await this.store.ready?.();
    await this.budget?.ready();
  }

  /** Keys are made with `createKey` (`POST /api-keys`): never by a login, a refresh or `auth.createToken`. */
  async write(): Promise<string> {
    throw new AuthConfigurationError(
      'ApiKeyStrategy makes no tokens at login or through auth.createToken: API keys are made with ApiKeysController (POST /api-keys) or strategy.createKey(user, …).',
    );
  }

  async read(token: string, request?: TokenReadRequest): Promise<TokenGrant | TokenRejection> {
    const refused = this.refuseMalformed(token);
    if (refused) return refused;
    return this.check(await this.store.findByDigest(digestApiKey(token)), request);
  }

  /** The key and its owner in one round trip, when the store can join them (see `ApiKeyStore.readWithOwner`). */
  readWithUser<U extends BaseUser>(users: UserTable<U>): TokenAndUserReader<U> | undefined {
    const cached = this.joinedReaders.get(users);
    if (cached) return cached as TokenAndUserReader<U>;
    const load = this.store.readWithOwner?.(users);
    if (!load) return undefined;
    const reader: TokenAndUserReader<U> = async (token, request) => {
      const refused = this.refuseMalformed(token);
      if (refused) return refused;
      const found: ApiKeyWithOwner<U> = await load(digestApiKey(token));
      const checked = this.check(found.key, request);
      const grant = checked instanceof Promise ? await checked : checked;
      return 'rejected' in grant ? grant : { grant, user: found.owner };
    };
    this.joinedReaders.set(users, reader);
    return reader;
  }

  /**
   * A token of another backend (no `<prefix>_`) is refused without a word, so its own 401 stays
   * generic; one of ours with a wrong checksum gets `API_KEY_INVALID` before any lookup.
   */
  private refuseMalformed(token: string): TokenRejection | undefined {
    if (!this.format.claims(token)) return { rejected: 'malformed' };
    if (!this.format.isWellFormed(token)) return { rejected: 'malformed', answer: API_KEY_INVALID_ANSWER };
    return undefined;
  }

  /**
   * The grant of a stored key, or why it is refused; counts the key's rate limit and notes its use.
   * Synchronous unless there is a rate limit to count: no promise more than needed on every request.
   */
  private check(key: ApiKeyCredential | null, request: TokenReadRequest | undefined): TokenGrant | TokenRejection | Promise<TokenGrant> {
    if (!key) return { rejected: 'unknown', answer: API_KEY_INVALID_ANSWER };
    const now = Date.now();
    if (key.expiresAt !== null && key.expiresAt.getTime() <= now) return { rejected: 'expired', answer: API_KEY_EXPIRED_ANSWER };
    // Code reading a key (no request) is not restricted by address; a request from an unknown one is.
    if (key.allowedIps && key.allowedIps.length > 0 && request && !new IpRanges(key.allowedIps).allows(request.ip)) {
      return { rejected: 'ip_not_allowed', answer: API_KEY_INVALID_ANSWER };
    }
    const grant: TokenGrant = { userId: key.userId, scopes: key.scopes, apiKeyId: key.id };
    if (key.expiresAt) grant.expiresAt = key.expiresAt;
    if (!request) return grant;
    this.lastUse.note(key.id, now);
    return this.budget ? this.budget.consume(key.id).then(() => grant) : grant;
  }

  // ---- managing keys ----------------------------------------------------------------------

  /**
   * Makes a key for `owner`. `ownerScopes`: what the owner may grant (`UserManager.getScopes`); a
   * scope beyond them throws `ApiKeyScopeNotAllowedError`, a malformed request `ValidationError`.
   * The answer holds the key itself: show it once, it is never stored.
   */
  async createKey(owner: Pick<BaseUser, 'id'>, request: NewApiKeyRequest, ownerScopes: readonly string[]): Promise<CreatedApiKey> {
    const name = typeof request.name === 'string' ? request.name.trim() : '';
    if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw invalid('name', `name must be 1–${MAX_NAME_LENGTH} characters.`);
    const scopes = [...new Set(request.scopes)];
    const allowed = new Set(ownerScopes);
    const beyond = scopes.filter((s) => !allowed.has(s));
    if (beyond.length > 0) throw new ApiKeyScopeNotAllowedError(beyond);
    const expiresAt = this.expiryOf(request.expiresInDays);
    const allowedIps = rangesOf(request.allowedIps);
    if ((await this.store.listForUser(owner.id)).length >= this.maxKeysPerUser) {
      throw new ValidationError(`A user may hold at most ${this.maxKeysPerUser} API keys: revoke one first.`);
    }
    const key = this.format.generate();
    const info: ApiKeyInfo = {
      id: randomUUID(),
      userId: owner.id,
      name,
      start: this.format.shown(key),
      scopes,
      allowedIps,
      createdAt: new Date(),
      expiresAt,
      lastUsedAt: null,
    };
    await this.store.create({ ...info, keyHash: digestApiKey(key) });
    return { key, info };
  }

  /** The user's keys (never key material), oldest first. */
  listKeys(userId: string): Promise<ApiKeyInfo[]> {
    return this.store.listForUser(userId);
  }

  /** The key with this id, or null. */
  getKey(id: string): Promise<ApiKeyInfo | null> {
    return this.store.get(id);
  }

  /** Deletes the key: it stops at once. Answers what it was, or null when there was none. */
  revokeKey(id: string): Promise<ApiKeyInfo | null> {
    return this.store.revoke(id);
  }

  /** Deletes every key of the user (e.g. from your own account-deletion job); answers how many. */
  revokeAllKeysOf(userId: string): Promise<number> {
    return this.store.revokeAllForUser(userId);
  }

  /** Deletes expired keys (`store.purgeExpired`), from a scheduled job; answers how many. */
  async purgeExpired(now: Date = new Date()): Promise<number> {
    return (await this.store.purgeExpired?.(now)) ?? 0;
  }

  private expiryOf(days: number | null | undefined): Date | null {
    if (days === undefined || days === null) {
      if (this.maxExpiresInDays !== null) throw invalid('expiresInDays', `expiresInDays is required (at most ${this.maxExpiresInDays}).`);
      return null;
    }
    const max = this.maxExpiresInDays ?? 3650;
    if (!Number.isInteger(days) || days < 1 || days > max) throw invalid('expiresInDays', `expiresInDays must be a whole number from 1 to ${max}.`);
    return new Date(Date.now() + days * DAY_MS);
  }
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError('The request body is invalid.', [{ field, errors: [message] }]);
}

/** The allowed ranges, normalised to CIDR; null for none. */
function rangesOf(ranges: string[] | null | undefined): string[] | null {
  if (ranges === undefined || ranges === null || ranges.length === 0) return null;
  if (!Array.isArray(ranges) || ranges.length > MAX_ALLOWED_IPS) throw invalid('allowedIps', `allowedIps must list at most ${MAX_ALLOWED_IPS} ranges.`);
  const normal = ranges.map(normaliseRange);
  const bad = ranges.filter((_, i) => normal[i] === undefined);
  if (bad.length > 0) throw invalid('allowedIps', `Not an IP address or CIDR range: ${bad.slice(0, 3).map(String).join(', ')}.`);
  return [...new Set(normal as string[])];
}

function wholeOption(value: number | null, name: string, nullable: boolean): number | null {
  if (value === null && nullable) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new AuthConfigurationError(`ApiKeyStrategy: ${name} must be a whole number ≥ 1${nullable ? ', or null' : ''}.`);
  }
  return value;
}
