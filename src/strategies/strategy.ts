import type { DataSource } from 'typeorm';
import type { BaseUser } from '../entities/base-user';
import type { UserTable } from '../users/user-store';
import type { AuthEvents } from '../security/events';
import type { TokenRejectionReason } from '../security/events';

/** What a token grants: whose it is and which scopes it carries. */
export interface TokenGrant {
  userId: string;
  scopes: string[];
  /** Self-contained tokens (JWT): what `destroy` needs to deny-list this one token. */
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
}

/** `read`'s answer for a token it refuses, saying why (for auth events); `null` means "unknown". */
export interface TokenRejection {
  rejected: TokenRejectionReason;
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
export type TokenAndUserReader<U extends BaseUser> = (token: string) => Promise<GrantWithUser<U> | TokenRejection>;

/** Handed to each strategy once, when `Auth.configure` runs. */
export interface StrategyContext {
  /** The DataSource given to `Auth.configure`, if any. */
  dataSource?: DataSource;
  /** The app's auth events, for what the strategy must report (e.g. its store's errors). */
  events: AuthEvents;
}

/**
 * How a token is made, checked and destroyed. Implement it to add a storage of your own.
 * `read` answers `null` (or a `TokenRejection` saying why) for any token it does not accept
 * (forged, expired, revoked, malformed). It throws when its store cannot be reached (the
 * request gets a 503 when the error is an outage: see `isStoreOutage`); any other error it
 * throws is treated as a bug: 500, logged once, published as `internal.error`.
 */
export interface Strategy {
  /** The lifetime `write` uses when the caller gives none. */
  readonly lifetimeSeconds: number | null;
  /** Synchronous: `Auth.configure` is; anything that needs I/O belongs in `ready()`. */
  init?(context: StrategyContext): void;
  /** Optional: confirms at start-up (`auth.ready()`) that the strategy's store is usable; throws `AuthConfigurationError` naming the fix. */
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
  read(token: string): Promise<TokenGrant | TokenRejection | null>;
  /** Makes the token unusable from now on, where the strategy can (a plain JWT cannot). */
  destroy(token: string, grant: TokenGrant): Promise<void>;
  /**
   * Makes every token of this user unusable, where the strategy can; with `exceptSessionId`, the
   * tokens of that session may be spared (a password change keeps the session that made it).
   */
  destroyAllForUser?(userId: string, options?: { exceptSessionId?: string }): Promise<void>;
  /**
   * Makes every token of this session unusable, where the strategy can. `until`: the latest any
   * of them can expire (a deny-list entry is needed no longer).
   */
  destroySession?(sessionId: string, until: Date): Promise<void>;
}

/** The longest token any strategy reads: a 12 KB "token" is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;

export function isRejection<T extends object = TokenGrant>(result: T | TokenRejection | null): result is TokenRejection {
  return result !== null && 'rejected' in result;
}
