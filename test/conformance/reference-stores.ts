/**
 * Small, correct in-memory implementations of the pluggable interfaces, each with subclasses
 * that break one promise. The conformance suites must pass the first and fail each broken one:
 * proof that every suite can fail, and fails for the right reason.
 */
import { randomBytes } from 'crypto';
import type {
  IssuedToken,
  NewSession,
  OAuthStateRecord,
  OAuthStateStore,
  RevocationStore,
  SessionInfo,
  SessionState,
  SessionStore,
  Strategy,
  TokenGrant,
  TokenRequest,
  WebAuthnChallengeRecord,
  WebAuthnChallengeStore,
} from '../../src';
import { sessionInfoOf } from '../../src/sessions/session-store';

/** Lets every other pending callback run: what a store round trip between a read and a write does. */
const roundTrip = () => new Promise((resolve) => setImmediate(resolve));

function copyOf(state: SessionState): SessionState {
  return { ...state, scopes: [...state.scopes], amr: [...state.amr] };
}

export class MemorySessionStore implements SessionStore {
  protected readonly sessions = new Map<string, SessionState>();
  /** Every refresh token digest a session was given → its id. */
  protected readonly digests = new Map<string, string>();

  async create(session: NewSession): Promise<void> {
    this.digests.set(session.currentDigest, session.id);
    this.sessions.set(session.id, copyOf({ ...session, previousDigest: null, rotatedAt: null }));
  }

  async findByDigest(digest: string): Promise<SessionState | null> {
    const id = this.digests.get(digest);
    return id === undefined ? null : this.get(id);
  }

  async get(sessionId: string): Promise<SessionState | null> {
    const state = this.sessions.get(sessionId);
    return state ? copyOf(state) : null;
  }

  async rotate(observed: SessionState, next: string, now: Date): Promise<boolean> {
    const state = this.sessions.get(observed.id);
    if (!state || state.currentDigest !== observed.currentDigest) return false;
    this.digests.set(next, state.id);
    Object.assign(state, { previousDigest: state.currentDigest, currentDigest: next, rotatedAt: now, lastUsedAt: now });
    return true;
  }

  async replaceSuccessor(observed: SessionState, next: string, now: Date): Promise<boolean> {
    const state = this.sessions.get(observed.id);
    if (!state || observed.previousDigest === null || state.currentDigest !== observed.currentDigest || state.previousDigest !== observed.previousDigest)
      return false;
    this.digests.set(next, state.id);
    Object.assign(state, { currentDigest: next, lastUsedAt: now });
    return true;
  }

  async listForUser(userId: string): Promise<SessionInfo[]> {
    return [...this.sessions.values()].filter((s) => s.userId === userId && s.expiresAt.getTime() > Date.now()).map(sessionInfoOf);
  }

  async revoke(sessionId: string): Promise<SessionInfo | null> {
    const state = this.sessions.get(sessionId);
    if (!state) return null;
    this.sessions.delete(sessionId);
    for (const [digest, id] of this.digests) if (id === sessionId) this.digests.delete(digest);
    return sessionInfoOf(state);
  }

  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<SessionInfo[]> {
    const ids = [...this.sessions.values()].filter((s) => s.userId === userId && s.id !== exceptSessionId).map((s) => s.id);
    const ended = await Promise.all(ids.map((id) => this.revoke(id)));
    return ended.filter((info): info is SessionInfo => info !== null);
  }

  async purgeExpired(now: Date = new Date()): Promise<number> {
    const expired = [...this.sessions.values()].filter((s) => s.expiresAt.getTime() <= now.getTime());
    for (const state of expired) await this.revoke(state.id);
    return expired.length;
  }
}

/** Reads the live digest, then writes after a round trip: no compare-and-set, so concurrent refreshes both win. */
export class RotationNotSingleUse extends MemorySessionStore {
  async rotate(observed: SessionState, next: string, now: Date): Promise<boolean> {
    const state = this.sessions.get(observed.id);
    if (!state || state.currentDigest !== observed.currentDigest) return false;
    await roundTrip();
    this.digests.set(next, state.id);
    Object.assign(state, { previousDigest: state.currentDigest, currentDigest: next, rotatedAt: now, lastUsedAt: now });
    return true;
  }
}

/** Deletes the session but keeps its digests, answering a copy taken at login: a revoked session's refresh token still finds it. */
export class RevokeKeepsRefreshTokens extends MemorySessionStore {
  private readonly atLogin = new Map<string, SessionState>();

  async create(session: NewSession): Promise<void> {
    await super.create(session);
    this.atLogin.set(session.id, copyOf({ ...session, previousDigest: null, rotatedAt: null }));
  }

  async findByDigest(digest: string): Promise<SessionState | null> {
    const id = this.digests.get(digest);
    return id === undefined ? null : ((await this.get(id)) ?? this.atLogin.get(id) ?? null);
  }

  async revoke(sessionId: string): Promise<SessionInfo | null> {
    const state = this.sessions.get(sessionId);
    if (!state) return null;
    this.sessions.delete(sessionId);
    return sessionInfoOf(state);
  }
}

export class MemoryRevocationStore implements RevocationStore {
  /** jti → until when (ms). */
  private readonly denied = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  protected readonly cutOffs = new Map<string, number>();

  async isRevoked(token: IssuedToken): Promise<boolean> {
    const now = Date.now();
    if ((this.denied.get(token.tokenId) ?? 0) > now) return true;
    if (token.sessionId !== undefined && (this.sessions.get(token.sessionId) ?? 0) > now) return true;
    return this.issuedBeforeCutOff(token);
  }

  protected issuedBeforeCutOff(token: IssuedToken): boolean {
    const cutOff = this.cutOffs.get(token.userId);
    return cutOff !== undefined && token.issuedAtMs <= cutOff;
  }

  async revoke(token: IssuedToken): Promise<void> {
    this.denied.set(token.tokenId, token.expiresAt.getTime());
  }

  async revokeAllIssuedBefore(userId: string, at: Date): Promise<void> {
    this.cutOffs.set(userId, at.getTime());
  }

  async revokeSession(sessionId: string, until: Date): Promise<void> {
    this.sessions.set(sessionId, until.getTime());
  }
}

/** Spares a token issued in the cut-off's very millisecond: a token made in the same tick as "log out everywhere" survives it. */
export class CutOffSparesItsMillisecond extends MemoryRevocationStore {
  protected issuedBeforeCutOff(token: IssuedToken): boolean {
    const cutOff = this.cutOffs.get(token.userId);
    return cutOff !== undefined && token.issuedAtMs < cutOff;
  }
}

interface StoredToken {
  grant: TokenGrant;
  expiresAtMs: number | null;
}

/** Opaque tokens in a Map. */
export class MemoryStrategy implements Strategy {
  readonly lifetimeSeconds = 3600;
  protected readonly tokens = new Map<string, StoredToken>();

  async write(request: TokenRequest): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const grant: TokenGrant = { userId: request.userId, scopes: [...request.scopes] };
    if (request.sessionId !== undefined) grant.sessionId = request.sessionId;
    if (request.authTime !== undefined) grant.authTime = request.authTime;
    if (request.amr !== undefined) grant.amr = [...request.amr];
    this.tokens.set(token, { grant, expiresAtMs: request.lifetimeSeconds === null ? null : Date.now() + request.lifetimeSeconds * 1000 });
    return token;
  }

  async read(token: string): Promise<TokenGrant | { rejected: 'expired' } | null> {
    const stored = this.tokens.get(token);
    if (!stored) return null;
    if (stored.expiresAtMs !== null && stored.expiresAtMs <= Date.now()) return { rejected: 'expired' };
    return stored.grant;
  }

  async destroy(token: string): Promise<void> {
    this.tokens.delete(token);
  }

  async destroyAllForUser(userId: string, options: { exceptSessionId?: string } = {}): Promise<void> {
    for (const [token, { grant }] of this.tokens) {
      if (grant.userId === userId && (options.exceptSessionId === undefined || grant.sessionId !== options.exceptSessionId)) this.tokens.delete(token);
    }
  }

  async destroySession(sessionId: string): Promise<void> {
    for (const [token, { grant }] of this.tokens) if (grant.sessionId === sessionId) this.tokens.delete(token);
  }
}

/** Throws for a token it does not know instead of refusing it: every stray header would become a 500. */
export class ThrowsOnStrangers extends MemoryStrategy {
  async read(token: string): Promise<TokenGrant | { rejected: 'expired' } | null> {
    if (!this.tokens.has(token)) throw new Error('no such token');
    return super.read(token);
  }
}

/** Logout that keeps the token working. */
export class DestroyKeepsToken extends MemoryStrategy {
  async destroy(): Promise<void> {}
}

/** Reads a state, then deletes it after a round trip: concurrent callbacks both get it. */
export class TakeNotAtomic implements OAuthStateStore {
  private readonly records = new Map<string, OAuthStateRecord>();

  async save(state: string, record: OAuthStateRecord): Promise<void> {
    this.records.set(state, { ...record });
  }

  async take(state: string): Promise<OAuthStateRecord | undefined> {
    const record = this.records.get(state);
    await roundTrip();
    this.records.delete(state);
    return record && record.expiresAt > Date.now() ? record : undefined;
  }
}

/** A WebAuthn challenge store whose take reads, waits a round trip, then deletes: two racing responses both redeem one challenge. */
export class ChallengeTakeNotAtomic implements WebAuthnChallengeStore {
  private readonly records = new Map<string, WebAuthnChallengeRecord>();

  async save(challenge: string, record: WebAuthnChallengeRecord): Promise<void> {
    this.records.set(challenge, { ...record });
  }

  async take(challenge: string): Promise<WebAuthnChallengeRecord | undefined> {
    const record = this.records.get(challenge);
    await roundTrip();
    this.records.delete(challenge);
    return record && record.expiresAt > Date.now() ? record : undefined;
  }
}
