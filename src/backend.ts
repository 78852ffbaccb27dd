import { AuthConfigurationError } from './errors';
import type { SessionStore } from './sessions/session-store';
import type { Strategy } from './strategies/strategy';
import type { Transport } from './transports/transport';

/** Refresh tokens for a backend: every login becomes a session that refreshes its access tokens. */
export interface RefreshOptions {
  /** Seconds a session (and so every refresh token of it) lives from login; absolute. Default 30 days. */
  lifetimeSeconds?: number;
  /**
   * Seconds after a rotation during which the token just rotated may rotate once more (a client
   * whose response was lost), replacing the successor it got. Default 0: any second use is reuse.
   */
  reuseIntervalSeconds?: number;
  /**
   * Where sessions live. Default: Redis through the strategy's client for a `RedisStrategy`
   * (`RedisSessionStore`), else the `AuthSession` / `RefreshToken` tables of `Auth.configure`'s
   * DataSource (`TypeOrmSessionStore`).
   */
  store?: SessionStore;
  /**
   * The refresh cookie's `Path` (cookie transports). Default: the login route's controller path
   * + `/refresh`. Set it when logging in from another route (e.g. an OAuth callback).
   */
  cookiePath?: string;
}

/** `RefreshOptions` with its defaults applied. */
export interface RefreshSettings {
  lifetimeSeconds: number;
  reuseIntervalSeconds: number;
  /** Set by `Auth.configure` when the options name none. */
  store: SessionStore | undefined;
  cookiePath: string | undefined;
}

export const DEFAULT_REFRESH_LIFETIME_SECONDS = 30 * 24 * 3600;

export interface AuthenticationBackendOptions {
  /** Unique among the configured backends; `AuthController` subclasses name it in `super(name)`. */
  name: string;
  transport: Transport;
  strategy: Strategy;
  /** Turns on refresh tokens and sessions for this backend. */
  refresh?: RefreshOptions;
}

/** A transport (how the token travels) paired with a strategy (how it is made and checked). */
export class AuthenticationBackend {
  readonly name: string;
  readonly transport: Transport;
  readonly strategy: Strategy;
  /** Undefined when refresh tokens are off for this backend. */
  readonly refresh: RefreshSettings | undefined;

  constructor(options: AuthenticationBackendOptions) {
    this.name = options.name;
    this.transport = options.transport;
    this.strategy = options.strategy;
    this.refresh = options.refresh ? refreshSettings(options.refresh) : undefined;
  }
}

function refreshSettings(options: RefreshOptions): RefreshSettings {
  const lifetimeSeconds = options.lifetimeSeconds ?? DEFAULT_REFRESH_LIFETIME_SECONDS;
  const reuseIntervalSeconds = options.reuseIntervalSeconds ?? 0;
  if (!Number.isFinite(lifetimeSeconds) || lifetimeSeconds <= 0) throw new AuthConfigurationError('refresh.lifetimeSeconds must be a positive number.');
  if (!Number.isFinite(reuseIntervalSeconds) || reuseIntervalSeconds < 0)
    throw new AuthConfigurationError('refresh.reuseIntervalSeconds must be a number ≥ 0.');
  return { lifetimeSeconds, reuseIntervalSeconds, store: options.store, cookiePath: options.cookiePath };
}
