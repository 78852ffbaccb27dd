import type { Pluggable, PluginContext } from '../lifecycle';

/** What an app (and the session list) sees of a session. */
export interface SessionInfo {
  id: string;
  userId: string;
  /** The backend it logged in through. */
  backend: string;
  /** Scopes granted at login. */
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date;
  /** Absolute expiry of the session and of every refresh token it will ever have. */
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
  /** When the user last really signed in for this session (the login; later a step-up). Refresh never changes it. */
  authTime: Date | null;
  /** How that sign-in was made (`pwd`, `fed`, …). */
  amr: string[];
}

/** A session with its rotation state, as the refresh logic needs it. */
export interface SessionState extends SessionInfo {
  /** Digest of the one live refresh token. */
  currentDigest: string;
  /** Digest of the token rotated last, and when. */
  previousDigest: string | null;
  rotatedAt: Date | null;
}

/** A new session and the digest of its first refresh token. */
export type NewSession = Omit<SessionState, 'previousDigest' | 'rotatedAt'>;

/**
 * Where sessions and refresh tokens live. Both mutations of a refresh token are compare-and-set
 * in one statement (or script), so concurrent refreshes cannot both win. Only digests of refresh
 * tokens are ever stored. Implement it to keep sessions elsewhere.
 */
export interface SessionStore extends Pluggable {
  /** Once, when `Auth.configure` runs: e.g. the app's DataSource. */
  init?(context: PluginContext): void;
  create(session: NewSession): Promise<void>;
  /** The session a refresh token digest was ever issued for (live or not), or null. */
  findByDigest(digest: string): Promise<SessionState | null>;
  get(sessionId: string): Promise<SessionState | null>;
  /**
   * Makes `next` the live token if `observed.currentDigest` still is, recording that one as the
   * previous token. True when it did; false when another rotation (or a revocation) came first.
   */
  rotate(observed: SessionState, next: string, now: Date): Promise<boolean>;
  /**
   * Within the reuse interval: replaces the live successor (`observed.currentDigest`) of
   * `observed.previousDigest` with `next`, so the earlier successor stops working. False when the
   * session moved on meanwhile.
   */
  replaceSuccessor(observed: SessionState, next: string, now: Date): Promise<boolean>;
  /** The user's sessions that have not expired. */
  listForUser(userId: string): Promise<SessionInfo[]>;
  /** Deletes the session and its refresh tokens; answers what was deleted (null if nothing). */
  revoke(sessionId: string): Promise<SessionInfo | null>;
  /** Deletes every session of the user (but `exceptSessionId`); answers those deleted. */
  revokeAllForUser(userId: string, exceptSessionId?: string): Promise<SessionInfo[]>;
  /** Deletes expired sessions and refresh tokens; answers how many rows or keys went. */
  purgeExpired(now?: Date): Promise<number>;
  /** Optional: confirms at start-up (`auth.ready()`) that the store is usable; throws `AuthConfigurationError` naming the fix. */
  ready?(): Promise<void>;
}

/** The public part of a session state. */
export function sessionInfoOf(state: SessionInfo): SessionInfo {
  return {
    id: state.id,
    userId: state.userId,
    backend: state.backend,
    scopes: [...state.scopes],
    createdAt: state.createdAt,
    lastUsedAt: state.lastUsedAt,
    expiresAt: state.expiresAt,
    userAgent: state.userAgent,
    ip: state.ip,
    authTime: state.authTime,
    amr: [...state.amr],
  };
}
