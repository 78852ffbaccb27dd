import type { BaseUser } from '../entities/base-user';
import type { Pluggable, PluginContext } from '../lifecycle';
import type { SessionStore } from '../sessions/session-store';
import type { UserTable } from '../users/user-store';
import type { TokenRejectionReason } from '../security/events';
import type { ErrorCode } from '../errors';

/** What a token grants: whose it is and which scopes it carries. */
export interface TokenGrant {
  userId: string;
  scopes: string[];
  /** Self-contained tokens (JWT): what `revoke` needs to deny-list this one token. */
  tokenId?: string;
  issuedAtMs?: number;
  expiresAt?: Date;
  /** The session (one login with refresh tokens) the token belongs to, if any. */
  sessionId?: string;
  /**
   * When the user last really signed in (password, provider, …) for this token; a refresh keeps
   * it. Absent for tokens made without a sign-in (`createToken` without `authTime`): they never
   * pass a step-up check (`@Authorized({ maxAgeSeconds })`).
   */
  authTime?: Date;
  /** How that sign-in was made (RFC 8176 `amr` values: `pwd`, `fed`, …). */
  amr?: string[];
  /**
   * Set by `ApiKeyStrategy`: which API key the credential is (e.g. for an audit log); a missing or
   * inactive owner is then refused with `API_KEY_INVALID`. What makes the principal `kind: 'api_key'`
   * is the strategy being `sessionless`.
   */
  apiKeyId?: string;
}

/**
 * What the 401 says of a refused credential when its strategy says more than "invalid or expired"
 * (API keys: `API_KEY_INVALID`, `API_KEY_EXPIRED`). Only for what the holder of that exact
 * credential may learn: never whether some other credential exists.
 */
export interface RejectionAnswer {
  code: ErrorCode;
  message: string;
}

/** Who presents the token: what a strategy may restrict by (an API key's allowed IP ranges). */
export interface TokenReadRequest {
  /** The client's address, as the framework reports it (a trust-proxy setting applies). */
  readonly ip: string | undefined;
}

/** `read`'s answer for a token it refuses, saying why (for auth events); `null` means "unknown". */
export interface TokenRejection {
  rejected: TokenRejectionReason;
  /** The 401's code and message, when the request is refused for this rejection (see `RejectionAnswer`). */
  answer?: RejectionAnswer;
}

/** What to put in a new token. `lifetimeSeconds: null` means no expiry (opaque strategies only). */
export interface TokenRequest {
  userId: string;
  scopes: string[];
  lifetimeSeconds: number | null;
  /** The session the token belongs to (a login with refresh tokens); revoking it revokes the token. */
  sessionId?: string;
  /** The sign-in the token comes from (kept across refreshes): when, and how (`amr`). */
  authTime?: Date;
  amr?: string[];
}

/** What `TokenAndUserReader` answers for a token it accepts: the grant and its user (null when there is none). */
export interface GrantWithUser<U extends BaseUser> {
  grant: TokenGrant;
  user: U | null;
}

/** Reads a token and loads its user in one store round trip (see `Strategy.readWithUser`). */
export type TokenAndUserReader<U extends BaseUser> = (token: string, request?: TokenReadRequest) => Promise<GrantWithUser<U> | TokenRejection>;

/**
 * Handed to each strategy once, when `Auth.configure` runs.
 * @deprecated Use `PluginContext`, the one context every pluggable piece gets.
 */
export type StrategyContext = PluginContext;

/**
 * How a token is made, checked and revoked. Implement it to add a storage of your own.
 * `read` answers `null` (or a `TokenRejection` saying why) for any token it does not accept
 * (forged, expired, revoked, malformed). It throws when its store cannot be reached (the
 * request gets a 503 when the error is an outage: see `isStoreOutage`); any other error it
 * throws is treated as a bug: 500, logged once, published as `internal.error`.
 *
 * Lifecycle (`Pluggable`): `init(context)` once when `Auth.configure` runs (synchronous: anything
 * that needs I/O belongs in `ready()`), `ready()` at `auth.ready()` to confirm that the strategy's
 * store is usable (throwing `AuthConfigurationError` naming the fix).
 *
 * Revoking: every `revoke…` member is optional, for the strategy does it only where it can (a
 * plain JWT cannot). The library calls the `revoke…` name and, for a strategy written before it,
 * the deprecated `destroy…` one.
 */
export interface Strategy extends Pluggable {
  /** The lifetime `write` uses when the caller gives none. */
  readonly lifetimeSeconds: number | null;
  /**
   * Optional: the codes a 401 of a refused token of this strategy may carry besides `UNAUTHORIZED`
   * (its `TokenRejection.answer`s), for the OpenAPI document of every authenticated route.
   */
  readonly refusalCodes?: readonly ErrorCode[];
  /**
   * Optional: true for a strategy whose credentials are no sessions (API keys). Its principals are
   * of kind `api_key`: session-only routes and step-up checks refuse them, they get no more than their
   * owner's current scopes, and session-only routes leave its backends out of their OpenAPI security.
   */
  readonly sessionless?: boolean;
  init?(context: PluginContext): void;
  ready?(): Promise<void>;
  write(request: TokenRequest): Promise<string>;
  /**
   * Optional: a reader that finds a token and its user in one store round trip, for a user store
   * that says where its users live (`UserStore.table()`). It must answer exactly what `read`
   * followed by `UserStore.findById` would. Undefined when it cannot (e.g. another DataSource):
   * the authenticator then reads the token and asks the user store, as it does for any strategy
   * without this method. Asked on each request until it answers a reader (a DataSource
   * initialised late is joined then), so answering undefined must be cheap.
   */
  readWithUser?<U extends BaseUser>(users: UserTable<U>): TokenAndUserReader<U> | undefined;
  /** `request`: who presents the token, on the request path (absent when code reads a token). */
  read(token: string, request?: TokenReadRequest): Promise<TokenGrant | TokenRejection | null>;
  /** Makes this one token unusable from now on (logout), where the strategy can. */
  revoke?(token: string, grant: TokenGrant): Promise<void>;
  /**
   * Makes every token of this user unusable, where the strategy can; with `exceptSessionId`, the
   * tokens of that session may be spared (a password change keeps the session that made it).
   */
  revokeAllForUser?(userId: string, options?: { exceptSessionId?: string }): Promise<void>;
  /**
   * Makes every token of this session unusable, where the strategy can. `until`: the latest any
   * of them can expire (a deny-list entry is needed no longer).
   */
  revokeSession?(sessionId: string, until: Date): Promise<void>;
  /**
   * Optional: where a backend's sessions go when its `refresh` options name no store (e.g. the
   * strategy's own Redis). Answer the same store for the same storage, so the session list shows
   * each session once. Without it: the `AuthSession` / `RefreshToken` tables of the DataSource.
   */
  defaultSessionStore?(): SessionStore | undefined;
  /** @deprecated Implement `revoke`; still called for a strategy that has only this. */
  destroy?(token: string, grant: TokenGrant): Promise<void>;
  /** @deprecated Implement `revokeAllForUser`; still called for a strategy that has only this. */
  destroyAllForUser?(userId: string, options?: { exceptSessionId?: string }): Promise<void>;
  /** @deprecated Implement `revokeSession`; still called for a strategy that has only this. */
  destroySession?(sessionId: string, until: Date): Promise<void>;
}

/** The longest token any strategy reads: a 12 KB "token" is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;

export function isRejection<T extends object = TokenGrant>(result: T | TokenRejection | null): result is TokenRejection {
  return result !== null && 'rejected' in result;
}

/** `strategy.revoke`, or the deprecated `destroy` of a strategy written before it; nothing when it has neither. */
export async function revokeToken(strategy: Strategy, token: string, grant: TokenGrant): Promise<void> {
  if (strategy.revoke) await strategy.revoke(token, grant);
  else await strategy.destroy?.(token, grant);
}

/** `strategy.revokeAllForUser`, or the deprecated `destroyAllForUser`; nothing when it has neither. */
export async function revokeUserTokens(strategy: Strategy, userId: string, options: { exceptSessionId?: string }): Promise<void> {
  if (strategy.revokeAllForUser) await strategy.revokeAllForUser(userId, options);
  else await strategy.destroyAllForUser?.(userId, options);
}

/** True when the strategy can revoke a session's tokens (under either name). */
export function canRevokeSessions(strategy: Strategy): boolean {
  return strategy.revokeSession !== undefined || strategy.destroySession !== undefined;
}

/** `strategy.revokeSession`, or the deprecated `destroySession`; nothing when it has neither. */
export async function revokeSessionTokens(strategy: Strategy, sessionId: string, until: Date): Promise<void> {
  if (strategy.revokeSession) await strategy.revokeSession(sessionId, until);
  else await strategy.destroySession?.(sessionId, until);
}
