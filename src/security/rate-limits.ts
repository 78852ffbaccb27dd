import { hash } from 'crypto';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AuthConfigurationError, TooManyRequestsError } from '../errors';
import type { AuthEvents } from './events';
import type { Pluggable, PluginContext } from '../lifecycle';
import { RedisConnection } from '../redis/connection';
import type { RedisClientState } from '../redis/readiness';
import { isStoreOutage } from '../stores/outage';
import type { RateLimitedAction } from './rate-limited-action';

export type { RateLimitedAction } from './rate-limited-action';

/** `points` attempts per `durationSeconds`; `false` turns that budget off. */
export interface Limit {
  points: number;
  durationSeconds: number;
}

export interface ActionLimits {
  perIp?: Limit | false;
  /**
   * Keyed by the (normalised) email the request names, whether or not it has an account;
   * for `refresh`, by the session the refresh token belongs to.
   */
  perAccount?: Limit | false;
}

export interface RateLimitOptions {
  /** A connected node-redis client shared by all instances; default: memory (one process). */
  redis?: unknown;
  /** Prefix of the Redis keys. Default `routing-controllers-auth:rate:`. */
  keyPrefix?: string;
  /**
   * The longest a Redis call may take before the attempt is counted in memory instead (as when
   * Redis cannot be reached). Default 1000 ms; `null` waits as long as the client does.
   */
  commandTimeoutMs?: number | null;
  /** Overrides per action; unspecified ones keep the defaults. */
  limits?: Partial<Record<RateLimitedAction, ActionLimits>>;
}

const MINUTE = 60;
const HOUR = 3600;

/**
 * Defaults: generous enough for people behind one NAT, tight enough that guessing a password
 * or flooding an inbox gets nowhere. A successful login clears that account's login budget.
 */
export const DEFAULT_RATE_LIMITS: Record<RateLimitedAction, Required<ActionLimits>> = {
  login: { perIp: { points: 100, durationSeconds: 15 * MINUTE }, perAccount: { points: 10, durationSeconds: 15 * MINUTE } },
  // Every client refreshes once per access-token lifetime: a NAT of many clients shares the IP budget.
  refresh: { perIp: { points: 1000, durationSeconds: 15 * MINUTE }, perAccount: { points: 30, durationSeconds: 15 * MINUTE } },
  register: { perIp: { points: 20, durationSeconds: HOUR }, perAccount: false },
  forgotPassword: { perIp: { points: 20, durationSeconds: HOUR }, perAccount: { points: 5, durationSeconds: HOUR } },
  requestVerify: { perIp: { points: 20, durationSeconds: HOUR }, perAccount: { points: 5, durationSeconds: HOUR } },
  resetPassword: { perIp: { points: 30, durationSeconds: HOUR }, perAccount: false },
  verify: { perIp: { points: 30, durationSeconds: HOUR }, perAccount: false },
  // Second-factor codes (`POST /2fa/verify`, `/2fa/totp/confirm`), per user: 10 tries per 15 minutes
  // give a guesser of a 6-digit TOTP (3 codes valid at once) about 3·10⁻⁵ per window, and — a
  // success giving the budget back — far fewer than NIST's 100 consecutive failures before the
  // first refusal; a user mistyping keeps room. Per IP: one office signing in after a holiday.
  secondFactor: { perIp: { points: 100, durationSeconds: 15 * MINUTE }, perAccount: { points: 10, durationSeconds: 15 * MINUTE } },
  // Passwordless sign-in names no account before it verifies: per IP, counting both the options
  // (each stores a challenge) and the assertion, so 100 sign-ins per window.
  passkeyLogin: { perIp: { points: 200, durationSeconds: 15 * MINUTE }, perAccount: false },
};

/** Who an attempt comes from and which account it names. */
export interface AttemptKeys {
  ip?: string;
  account?: string;
}

/**
 * Counts attempts per client IP and per account with rate-limiter-flexible (memory, or Redis for
 * several instances) and answers 429 `TOO_MANY_REQUESTS` with `Retry-After` once a budget is
 * spent. Budgets refill by themselves. If Redis cannot be reached, counting falls back to this
 * process's memory rather than refusing every login.
 */
export class RateLimits implements Pluggable {
  private readonly limiters = new Map<string, Limiter>();
  private readonly connection: RedisConnection<RedisClientState & object> | undefined;

  /** @param events where the Redis client's errors are reported (`store.error`). */
  constructor(options: RateLimitOptions = {}, events?: AuthEvents) {
    const redis = options.redis as (RedisClientState & object) | undefined;
    this.connection = redis
      ? new RedisConnection(redis, { who: 'Auth.configure({ rateLimits: { redis } })', commandTimeoutMs: options.commandTimeoutMs })
      : undefined;
    if (events) this.init({ events });
    const prefix = options.keyPrefix ?? 'routing-controllers-auth:rate:';
    for (const action of Object.keys(DEFAULT_RATE_LIMITS) as RateLimitedAction[]) {
      const limits = { ...DEFAULT_RATE_LIMITS[action], ...options.limits?.[action] };
      for (const scope of ['perIp', 'perAccount'] as const) {
        const limit = limits[scope];
        if (!limit) continue;
        const settings = { points: limit.points, duration: limit.durationSeconds, keyPrefix: `${prefix}${action}:${scope}` };
        const memory = new RateLimiterMemory(settings);
        this.limiters.set(
          `${action}:${scope}`,
          this.connection
            ? new MemoryDuringOutage(new RateLimiterRedis({ ...settings, storeClient: options.redis, useRedisPackage: true }), memory, this.connection)
            : memory,
        );
      }
    }
  }

  /** Reports the Redis client's errors through the app's auth events (see `watchRedisErrors`). */
  init(context: PluginContext): void {
    this.connection?.init(context);
  }

  /** Confirms at start-up that a Redis client given for the limits is connected. */
  async ready(): Promise<void> {
    await this.connection?.ready();
  }

  /** Counts one attempt; throws `TooManyRequestsError` when a budget is spent. */
  async consume(action: RateLimitedAction, keys: AttemptKeys): Promise<void> {
    const checks: Promise<unknown>[] = [];
    const perIp = this.limiters.get(`${action}:perIp`);
    const perAccount = this.limiters.get(`${action}:perAccount`);
    if (perIp && keys.ip) checks.push(perIp.consume(keys.ip));
    if (perAccount && keys.account) checks.push(perAccount.consume(accountKey(keys.account)));
    const results = await Promise.allSettled(checks);
    // An outage was answered from memory already (MemoryDuringOutage): anything else is a bug, not a pass.
    const failure = results.find((r) => r.status === 'rejected' && !(r.reason instanceof RateLimiterRes));
    if (failure) throw (failure as PromiseRejectedResult).reason;
    const refused = results
      .map((r) => (r.status === 'rejected' && r.reason instanceof RateLimiterRes ? r.reason.msBeforeNext : undefined))
      .filter((ms): ms is number => ms !== undefined);
    if (refused.length > 0) throw new TooManyRequestsError(Math.max(1, Math.ceil(Math.max(...refused) / 1000)));
  }

  /** Gives an account its budget back (after a successful login). */
  async reset(action: RateLimitedAction, account: string): Promise<void> {
    await this.limiters.get(`${action}:perAccount`)?.delete(accountKey(account));
  }
}

/** Where a `KeyBudget` counts: this process's memory, or a Redis shared by every instance. */
export interface KeyBudgetOptions {
  /** A connected node-redis client; default: memory (one process). */
  redis?: unknown;
  /** Prefix of the Redis keys (the limiter's own, under which each budget's key goes). */
  keyPrefix: string;
  /** As `RateLimitOptions.commandTimeoutMs`: past it (or while Redis is down) the attempt counts in memory. */
  commandTimeoutMs?: number | null;
  /** The option as the app wrote it, for error messages: e.g. `ApiKeyStrategy({ rateLimit })`. */
  who: string;
}

/**
 * One budget (`points` per `durationSeconds`) per key of the caller's choosing (an API key's id),
 * counted as `RateLimits` counts: memory, or Redis falling back to memory during an outage.
 */
export class KeyBudget implements Pluggable {
  private readonly limiter: Limiter;
  private readonly connection: RedisConnection<RedisClientState & object> | undefined;

  constructor(limit: Limit, options: KeyBudgetOptions) {
    if (!Number.isInteger(limit?.points) || limit.points <= 0 || !Number.isFinite(limit.durationSeconds) || limit.durationSeconds <= 0) {
      throw new AuthConfigurationError(`${options.who}: a rate limit is { points: a whole number > 0, durationSeconds: a number > 0 }.`);
    }
    const redis = options.redis as (RedisClientState & object) | undefined;
    this.connection = redis ? new RedisConnection(redis, { who: options.who, commandTimeoutMs: options.commandTimeoutMs }) : undefined;
    const settings = { points: limit.points, duration: limit.durationSeconds, keyPrefix: options.keyPrefix };
    const memory = new RateLimiterMemory(settings);
    this.limiter = this.connection
      ? new MemoryDuringOutage(new RateLimiterRedis({ ...settings, storeClient: options.redis, useRedisPackage: true }), memory, this.connection)
      : memory;
  }

  init(context: PluginContext): void {
    this.connection?.init(context);
  }

  async ready(): Promise<void> {
    await this.connection?.ready();
  }

  /** Counts one use of `key`; throws `TooManyRequestsError` (429, `Retry-After`) once its budget is spent. */
  async consume(key: string): Promise<void> {
    try {
      await this.limiter.consume(key);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw new TooManyRequestsError(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      throw error;
    }
  }
}

/** What `RateLimits` needs of a limiter. */
type Limiter = Pick<RateLimiterAbstract, 'consume' | 'delete'>;

/**
 * A Redis limiter that counts in this process's memory while Redis cannot be reached (or does not
 * answer within the time limit), rather than refusing every login. Only an outage falls back: any
 * other error is a bug and surfaces. rate-limiter-flexible sends its own commands: the connection
 * bounds and readiness-checks each of its calls as a whole.
 */
class MemoryDuringOutage implements Limiter {
  constructor(
    private readonly primary: RateLimiterAbstract,
    private readonly memory: RateLimiterMemory,
    private readonly connection: RedisConnection<RedisClientState & object>,
  ) {}

  consume(key: string | number): Promise<RateLimiterRes> {
    return this.connection
      .run(() => this.primary.consume(key))
      .catch((error: unknown) => {
        if (error instanceof RateLimiterRes || !isStoreOutage(error)) throw error;
        return this.memory.consume(key);
      });
  }

  delete(key: string | number): Promise<boolean> {
    return this.connection
      .run(() => this.primary.delete(key))
      .catch((error: unknown) => {
        if (!isStoreOutage(error)) throw error;
        return this.memory.delete(key);
      });
  }
}

/** Emails never appear in the store's keys: a digest of the normalised address does. */
function accountKey(account: string): string {
  return hash('sha256', account.normalize('NFC').toLowerCase(), 'base64url');
}
