import type { DataSource, Repository } from 'typeorm';
import { IsNull, LessThan, Not } from 'typeorm';
import { AccessToken } from '../entities/access-token';
import { assertEntityUsable } from '../typeorm/entity-check';
import { createPrimaryKeyLoader, type PrimaryKeyLoader } from '../typeorm/primary-key-loader';
import { digestToken, generateOpaqueToken, isWellFormedOpaqueToken } from './opaque-token';
import type { Strategy, StrategyContext, TokenGrant, TokenRejection, TokenRequest } from './strategy';
import { lifetimeOption } from '../options';

export interface DatabaseStrategyOptions {
  /** Seconds a token lives; `null` for no expiry. Default 3600. */
  lifetimeSeconds?: number | null;
  /** The DataSource holding `AccessToken`; defaults to the one given to `Auth.configure`. */
  dataSource?: DataSource;
}

/**
 * Opaque tokens stored as `AccessToken` rows through TypeORM (SQLite, PostgreSQL, …).
 * Revocable at once: logout deletes the row. Costs one indexed primary-key read per request.
 */
export class DatabaseStrategy implements Strategy {
  readonly lifetimeSeconds: number | null;
  private dataSource: DataSource | undefined;
  private loadRow: PrimaryKeyLoader<AccessToken> | undefined;

  constructor(options: DatabaseStrategyOptions = {}) {
    this.lifetimeSeconds = lifetimeOption(options.lifetimeSeconds, 'DatabaseStrategy: lifetimeSeconds', true);
    this.dataSource = options.dataSource;
  }

  init(context: StrategyContext): void {
    this.dataSource ??= context.dataSource;
  }

  // Checked on use: Auth.configure may run before the DataSource is initialised.
  private get repository(): Repository<AccessToken> {
    assertEntityUsable(this.dataSource, AccessToken, 'DatabaseStrategy');
    return this.dataSource.getRepository(AccessToken);
  }

  async ready(): Promise<void> {
    await this.read('A'.repeat(43)); // a well-formed token no one holds: one read through the request path's loader
  }

  async write(request: TokenRequest): Promise<string> {
    const token = generateOpaqueToken();
    const row = this.repository.create({
      tokenHash: digestToken(token),
      userId: request.userId,
      scopes: request.scopes,
      sessionId: request.sessionId ?? null,
      expiresAt: request.lifetimeSeconds === null ? null : new Date(Date.now() + request.lifetimeSeconds * 1000),
    });
    await this.repository.insert(row);
    return token;
  }

  async read(token: string): Promise<TokenGrant | TokenRejection | null> {
    if (!isWellFormedOpaqueToken(token)) return { rejected: 'malformed' };
    this.loadRow ??= createPrimaryKeyLoader(this.repository.manager.connection, AccessToken);
    const row = await this.loadRow(digestToken(token));
    if (!row) return { rejected: 'unknown' };
    if (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now()) return { rejected: 'expired' };
    return row.sessionId ? { userId: row.userId, scopes: row.scopes, sessionId: row.sessionId } : { userId: row.userId, scopes: row.scopes };
  }

  async destroy(token: string): Promise<void> {
    if (!isWellFormedOpaqueToken(token)) return;
    await this.repository.delete({ tokenHash: digestToken(token) });
  }

  async destroyAllForUser(userId: string, options: { exceptSessionId?: string } = {}): Promise<void> {
    if (options.exceptSessionId === undefined) {
      await this.repository.delete({ userId });
      return;
    }
    await this.repository.delete({ userId, sessionId: IsNull() });
    await this.repository.delete({ userId, sessionId: Not(options.exceptSessionId) });
  }

  async destroySession(sessionId: string): Promise<void> {
    await this.repository.delete({ sessionId });
  }

  /** Deletes expired rows; run it from a scheduled job. Returns how many were deleted. */
  async purgeExpired(now: Date = new Date()): Promise<number> {
    // In epoch ms, as stored: TypeORM does not run column transformers on delete criteria.
    const result = await this.repository.delete({ expiresAt: LessThan(now.getTime() as unknown as Date) });
    return result.affected ?? 0;
  }
}
