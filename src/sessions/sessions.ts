import { randomUUID, timingSafeEqual } from 'crypto';
import type { AuthenticationBackend } from '../backend';
import type { HttpExchange } from '../http/request';
import { digestToken, generateOpaqueToken, isWellFormedOpaqueToken } from '../strategies/opaque-token';
import { invalidRefreshToken } from './refresh-token-error';
import { sessionInfoOf, type SessionInfo, type SessionState, type SessionStore } from './session-store';
import { AuthConfigurationError } from '../errors';
import { canRevokeSessions, revokeSessionTokens } from '../strategies/strategy';

/** A refresh that passed: the session as it is now and the new refresh token (shown once). */
export interface Rotation {
  session: SessionState;
  refreshToken: string;
}

/** A real sign-in: when, and by which methods (RFC 8176 `amr`: `pwd`, `fed`, …). */
export interface SignIn {
  authTime: Date;
  amr: string[];
}

/** What a refresh with reuse detected must also do: revoke the session and say so. */
export type ReuseHandler = (session: SessionState) => Promise<void>;

/** How many times a refresh re-reads its session after losing a race before giving up. */
const MAX_ROTATION_ATTEMPTS = 3;
const MAX_USER_AGENT_LENGTH = 512;

/**
 * Sessions of the backends that have refresh on: starting them at login, rotating their refresh
 * tokens (with reuse detection), listing and revoking them. Revoking a session also makes its
 * access tokens unusable wherever the backend's strategy can.
 */
export class Sessions {
  constructor(private readonly backends: readonly AuthenticationBackend[]) {}

  /** True when some backend has refresh on. */
  get enabled(): boolean {
    return this.stores().length > 0;
  }

  /** Every distinct store of the backends with refresh on. */
  stores(): SessionStore[] {
    return [...new Set(this.backends.flatMap((b) => (b.refresh?.store ? [b.refresh.store] : [])))];
  }

  private storeOf(backend: AuthenticationBackend): SessionStore {
    const store = backend.refresh?.store;
    if (!store) throw new AuthConfigurationError(`Backend "${backend.name}" has no refresh tokens.`);
    return store;
  }

  /** A new session for a login (the sign-in `signIn` describes; default: now, methods unknown), with its first refresh token. */
  async start(
    backend: AuthenticationBackend,
    userId: string,
    scopes: string[],
    exchange: HttpExchange,
    signIn: SignIn = { authTime: new Date(), amr: [] },
  ): Promise<Rotation> {
    const refreshToken = generateOpaqueToken();
    const now = new Date();
    const session: SessionState = {
      id: randomUUID(),
      userId,
      backend: backend.name,
      scopes: [...scopes],
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + backend.refresh!.lifetimeSeconds * 1000),
      userAgent: exchange.header('user-agent')?.slice(0, MAX_USER_AGENT_LENGTH) || null,
      ip: exchange.ip?.slice(0, 64) || null,
      authTime: signIn.authTime,
      amr: [...signIn.amr],
      currentDigest: digestToken(refreshToken),
      previousDigest: null,
      rotatedAt: null,
    };
    await this.storeOf(backend).create(session);
    return { session, refreshToken };
  }

  /**
   * The live session of a presented refresh token, checked before anything is used up: unknown,
   * expired and other backends' tokens throw `REFRESH_TOKEN_INVALID`.
   */
  async find(backend: AuthenticationBackend, presented: string): Promise<SessionState> {
    if (typeof presented !== 'string' || !isWellFormedOpaqueToken(presented)) throw invalidRefreshToken();
    const session = await this.storeOf(backend).findByDigest(digestToken(presented));
    if (!session || session.backend !== backend.name || session.expiresAt.getTime() <= Date.now()) throw invalidRefreshToken();
    return session;
  }

  /**
   * Uses up the presented token and answers its successor. The live token rotates; within the
   * reuse interval the token rotated last rotates once more, replacing its successor; any other
   * token of the session is reuse: `onReuse` revokes the session and the refresh fails. `found`:
   * the session `find` answered for this token just before, saving one look-up.
   */
  async rotate(backend: AuthenticationBackend, presented: string, onReuse: ReuseHandler, found?: SessionState): Promise<Rotation> {
    const store = this.storeOf(backend);
    const digest = digestToken(presented);
    const intervalMs = backend.refresh!.reuseIntervalSeconds * 1000;
    for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
      // The caller's look-up serves the first attempt; after a lost race, look again.
      const session = attempt === 0 && found ? found : await this.find(backend, presented);
      const now = new Date();
      const refreshToken = generateOpaqueToken();
      const next = digestToken(refreshToken);
      if (sameDigest(session.currentDigest, digest)) {
        if (await store.rotate(session, next, now))
          return { session: { ...session, previousDigest: digest, currentDigest: next, rotatedAt: now, lastUsedAt: now }, refreshToken };
        continue; // another refresh came first: look again at what the token is now
      }
      const retry =
        intervalMs > 0 &&
        session.previousDigest !== null &&
        sameDigest(session.previousDigest, digest) &&
        session.rotatedAt !== null &&
        now.getTime() - session.rotatedAt.getTime() <= intervalMs;
      if (retry) {
        if (await store.replaceSuccessor(session, next, now)) return { session: { ...session, currentDigest: next, lastUsedAt: now }, refreshToken };
        continue;
      }
      await onReuse(session);
      throw invalidRefreshToken();
    }
    throw invalidRefreshToken();
  }

  /** The session if it is still live (not revoked, not expired). */
  async isLive(backend: AuthenticationBackend, sessionId: string): Promise<boolean> {
    const session = await this.storeOf(backend).get(sessionId);
    return session !== null && session.expiresAt.getTime() > Date.now();
  }

  /** The user's live sessions across every store, oldest first. */
  async listForUser(userId: string): Promise<SessionInfo[]> {
    const lists = await Promise.all(this.stores().map((store) => store.listForUser(userId)));
    return lists.flat().sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** The session with this id if it is the user's and live, else null. */
  async findForUser(userId: string, sessionId: string): Promise<SessionInfo | null> {
    for (const store of this.stores()) {
      const session = await store.get(sessionId);
      if (session && session.userId === userId && session.expiresAt.getTime() > Date.now()) return sessionInfoOf(session);
    }
    return null;
  }

  /**
   * Revokes a session: its refresh tokens, then its access tokens wherever the backend's strategy
   * can. Answers the session if this call revoked it (null if it was gone already).
   */
  async revoke(sessionId: string): Promise<SessionInfo | null> {
    for (const store of this.stores()) {
      const revoked = await store.revoke(sessionId);
      if (revoked) {
        await this.revokeAccessTokens(revoked);
        return revoked;
      }
    }
    return null;
  }

  /** Revokes every session of the user (but `exceptSessionId`), with their access tokens. */
  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<SessionInfo[]> {
    const revoked = (await Promise.all(this.stores().map((store) => store.revokeAllForUser(userId, exceptSessionId)))).flat();
    await Promise.all(revoked.map((session) => this.revokeAccessTokens(session)));
    return revoked;
  }

  /** Makes the access tokens of a revoked session unusable where the strategy can. */
  async revokeAccessTokens(session: Pick<SessionInfo, 'id' | 'backend' | 'expiresAt'>): Promise<void> {
    const backend = this.backends.find((b) => b.name === session.backend);
    if (!backend || !canRevokeSessions(backend.strategy)) return;
    // An access token made at the session's last moment lives one access lifetime beyond it.
    const lifetimeMs = (backend.strategy.lifetimeSeconds ?? 0) * 1000;
    const until = new Date(Math.max(session.expiresAt.getTime(), Date.now()) + lifetimeMs);
    await revokeSessionTokens(backend.strategy, session.id, until);
  }

  /** @deprecated Use `revoke`. */
  end(sessionId: string): Promise<SessionInfo | null> {
    return this.revoke(sessionId);
  }

  /** @deprecated Use `revokeAllForUser`. */
  endAllForUser(userId: string, exceptSessionId?: string): Promise<SessionInfo[]> {
    return this.revokeAllForUser(userId, exceptSessionId);
  }

  /** @deprecated Use `revokeAccessTokens`. */
  destroyAccessTokens(session: Pick<SessionInfo, 'id' | 'backend' | 'expiresAt'>): Promise<void> {
    return this.revokeAccessTokens(session);
  }

  /** Deletes expired sessions and refresh tokens from every store; answers how many went. */
  async purgeExpired(now: Date = new Date()): Promise<number> {
    const counts = await Promise.all(this.stores().map((store) => store.purgeExpired(now)));
    return counts.reduce((a, b) => a + b, 0);
  }
}

function sameDigest(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
