import { LessThan, MoreThan, type DataSource, type Repository } from 'typeorm';
import { AuthSession } from '../entities/auth-session';
import { RefreshToken } from '../entities/refresh-token';
import { assertEntityUsable } from '../typeorm/entity-check';
import type { PluginContext } from '../lifecycle';
import { sessionInfoOf, type NewSession, type SessionInfo, type SessionState, type SessionStore } from './session-store';

/**
 * Sessions in the `auth_session` table and refresh token digests in `refresh_token` (register
 * `AuthSession` and `RefreshToken` with your DataSource). A rotation is one conditional UPDATE:
 * the database's row lock decides between concurrent refreshes, on SQLite and on PostgreSQL
 * shared by many app instances alike.
 */
export class TypeOrmSessionStore implements SessionStore {
  /** @param dataSource default: the one given to `Auth.configure`. */
  constructor(private dataSource?: DataSource) {}

  /** Takes the app's DataSource (when `Auth.configure` runs) unless the constructor named one. */
  init(context: PluginContext): void {
    this.dataSource ??= context.dataSource;
  }

  /** @deprecated The library calls `init(context)`; this stays for code that called it directly. */
  useDataSource(dataSource: DataSource): void {
    this.dataSource ??= dataSource;
  }

  private get sessions(): Repository<AuthSession> {
    return this.repository(AuthSession);
  }

  private get tokens(): Repository<RefreshToken> {
    return this.repository(RefreshToken);
  }

  private repository<T extends AuthSession | RefreshToken>(entity: new () => T): Repository<T> {
    assertEntityUsable(this.dataSource, entity, 'Refresh tokens (a backend with `refresh`)');
    return this.dataSource.getRepository(entity);
  }

  async ready(): Promise<void> {
    this.repository(AuthSession);
    this.repository(RefreshToken);
  }

  async create(session: NewSession): Promise<void> {
    // The digest first: a session is never live without a way to find it.
    await this.tokens.insert({ tokenHash: session.currentDigest, sessionId: session.id, createdAt: session.createdAt, expiresAt: session.expiresAt });
    await this.sessions.insert({ ...rowOf(session), previousTokenHash: null, rotatedAt: null });
  }

  async findByDigest(digest: string): Promise<SessionState | null> {
    const token = await this.tokens.findOneBy({ tokenHash: digest });
    return token ? this.get(token.sessionId) : null;
  }

  async get(sessionId: string): Promise<SessionState | null> {
    const row = await this.sessions.findOneBy({ id: sessionId });
    return row ? stateOf(row) : null;
  }

  async rotate(observed: SessionState, next: string, now: Date): Promise<boolean> {
    return this.swap(
      observed,
      next,
      now,
      { refreshTokenHash: observed.currentDigest },
      {
        refreshTokenHash: next,
        previousTokenHash: observed.currentDigest,
        rotatedAt: now,
        lastUsedAt: now,
      },
    );
  }

  async replaceSuccessor(observed: SessionState, next: string, now: Date): Promise<boolean> {
    if (observed.previousDigest === null) return false;
    return this.swap(
      observed,
      next,
      now,
      { refreshTokenHash: observed.currentDigest, previousTokenHash: observed.previousDigest },
      {
        refreshTokenHash: next,
        lastUsedAt: now,
      },
    );
  }

  /**
   * The digest row goes in first (harmless alone: no session names it as live), then one
   * conditional UPDATE decides; a lost race deletes the row again.
   */
  private async swap(
    observed: SessionState,
    next: string,
    now: Date,
    expected: { refreshTokenHash: string; previousTokenHash?: string },
    changes: Partial<AuthSession>,
  ): Promise<boolean> {
    await this.tokens.insert({ tokenHash: next, sessionId: observed.id, createdAt: now, expiresAt: observed.expiresAt });
    const result = await this.sessions.update(
      // Epoch ms, as stored: TypeORM does not run column transformers on criteria.
      { id: observed.id, ...expected, expiresAt: MoreThan(now.getTime() as unknown as Date) },
      changes,
    );
    if (result.affected === 1) return true;
    await this.tokens.delete({ tokenHash: next });
    return false;
  }

  async listForUser(userId: string): Promise<SessionInfo[]> {
    const rows = await this.sessions.find({
      where: { userId, expiresAt: MoreThan(Date.now() as unknown as Date) },
      order: { createdAt: 'ASC' },
    });
    return rows.map((row) => sessionInfoOf(stateOf(row)));
  }

  async revoke(sessionId: string): Promise<SessionInfo | null> {
    const row = await this.sessions.findOneBy({ id: sessionId });
    if (!row) return null;
    // The session first: from then on no refresh token of it works, whatever the order below.
    const deleted = await this.sessions.delete({ id: sessionId });
    await this.tokens.delete({ sessionId });
    return deleted.affected === 0 ? null : sessionInfoOf(stateOf(row));
  }

  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<SessionInfo[]> {
    const rows = await this.sessions.findBy({ userId });
    const ended: SessionInfo[] = [];
    for (const row of rows) {
      if (row.id === exceptSessionId) continue;
      const info = await this.revoke(row.id);
      if (info) ended.push(info);
    }
    return ended;
  }

  async purgeExpired(now: Date = new Date()): Promise<number> {
    const { sessions, refreshTokens } = await this.purgeExpiredByKind(now);
    return sessions + refreshTokens;
  }

  /** `purgeExpired`, counted per table (the command-line tool reports each). */
  async purgeExpiredByKind(now: Date = new Date()): Promise<{ sessions: number; refreshTokens: number }> {
    const before = LessThan(now.getTime() as unknown as Date);
    const sessions = await this.sessions.delete({ expiresAt: before });
    const tokens = await this.tokens.delete({ expiresAt: before });
    return { sessions: sessions.affected ?? 0, refreshTokens: tokens.affected ?? 0 };
  }
}

function rowOf(session: NewSession): Omit<AuthSession, 'previousTokenHash' | 'rotatedAt'> {
  return {
    id: session.id,
    userId: session.userId,
    backend: session.backend,
    scopes: session.scopes,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    expiresAt: session.expiresAt,
    userAgent: session.userAgent,
    ip: session.ip,
    authTime: session.authTime,
    amr: session.amr,
    refreshTokenHash: session.currentDigest,
  };
}

function stateOf(row: AuthSession): SessionState {
  return {
    id: row.id,
    userId: row.userId,
    backend: row.backend,
    scopes: row.scopes,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    userAgent: row.userAgent,
    ip: row.ip,
    authTime: row.authTime,
    amr: row.amr ?? [],
    currentDigest: row.refreshTokenHash,
    previousDigest: row.previousTokenHash,
    rotatedAt: row.rotatedAt,
  };
}
