import type { Pluggable, PluginContext } from '../../lifecycle';

/** What identifies one issued JWT for revocation. */
export interface IssuedToken {
  /** The `jti` claim. */
  tokenId: string;
  userId: string;
  /** `iat`, in milliseconds. */
  issuedAtMs: number;
  /** `exp`: a deny-list entry is needed only until then. */
  expiresAt: Date;
  /** The session the token belongs to (JWT `sid`), if any. */
  sessionId?: string;
}

/**
 * Lets `JwtStrategy` revoke tokens it cannot otherwise take back: a deny-list of `jti`s (kept
 * until each token's `exp`) and, per user, a cut-off time before which every token is invalid
 * (password reset, "log out everywhere"). Implement it to keep revocations elsewhere.
 */
export interface RevocationStore extends Pluggable {
  /** Once, from `JwtStrategy.init`: e.g. the app's DataSource, or its events to report store errors to. */
  init?(context: PluginContext): void;
  /** True when this token was revoked, or issued at or before its user's cut-off. Throws when the store is unreachable. */
  isRevoked(token: IssuedToken): Promise<boolean>;
  revoke(token: IssuedToken): Promise<void>;
  /** Every token of the user issued at or before `at` becomes invalid. */
  revokeAllIssuedBefore(userId: string, at: Date): Promise<void>;
  /** Optional: confirms at start-up (`auth.ready()`) that the store is usable; throws `AuthConfigurationError` naming the fix. */
  ready?(): Promise<void>;
  /**
   * Every token of the session becomes invalid (kept until `until`, when all have expired).
   * Without it, ending a session cannot reach its JWT access tokens: they live until `exp`.
   */
  revokeSession?(sessionId: string, until: Date): Promise<void>;
}
