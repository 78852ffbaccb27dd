import type { DataSource, EntityMetadata, Repository } from 'typeorm';
import { IsNull, LessThan, Not } from 'typeorm';
import { AccessToken } from '../entities/access-token';
import { assertEntityUsable } from '../typeorm/entity-check';
import { createPrimaryKeyLoader, type PrimaryKeyLoader } from '../typeorm/primary-key-loader';
import { digestToken, generateOpaqueToken, isWellFormedOpaqueToken } from './opaque-token';
import { isRejection, type Strategy, type TokenAndUserReader, type TokenGrant, type TokenRejection, type TokenRequest } from './strategy';
import { joinTokenWithUser } from './token-with-user';
import type { BaseUser } from '../entities/base-user';
import type { UserTable } from '../users/user-store';
import { lifetimeOption } from '../options';
import type { PluginContext } from '../lifecycle';

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
  /** Per user entity: its joined reader, or null when it cannot be joined. */
  private readonly joinedReaders = new WeakMap<EntityMetadata, TokenAndUserReader<BaseUser> | null>();

  constructor(options: DatabaseStrategyOptions = {}) {
    this.lifetimeSeconds = lifetimeOption(options.lifetimeSeconds, 'DatabaseStrategy: lifetimeSeconds', true);
    this.dataSource = options.dataSource;
  }

  /** Takes the app's DataSource unless the options named one. */
  init(context: PluginContext): void {
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
      authTime: request.authTime ?? null,
      amr: request.amr ?? null,
      expiresAt: request.lifetimeSeconds === null ? null : new Date(Date.now() + request.lifetimeSeconds * 1000),
    });
    await this.repository.insert(row);
    return token;
  }

  async read(token: string): Promise<TokenGrant | TokenRejection | null> {
    if (!isWellFormedOpaqueToken(token)) return { rejected: 'malformed' };
    this.loadRow ??= createPrimaryKeyLoader(this.repository.manager.connection, AccessToken);
    return grantOf(await this.loadRow(digestToken(token)));
  }

  /**
   * The token and its user in one statement, when the users are an entity of this strategy's
   * DataSource that can be joined exactly (see `joinTokenWithUser`); on PostgreSQL one round trip
   * per request instead of two. Undefined otherwise, and until the DataSource is initialised.
   */
  readWithUser<U extends BaseUser>(users: UserTable<U>): TokenAndUserReader<U> | undefined {
    const dataSource = this.dataSource;
    if (!dataSource?.isInitialized || users.dataSource !== dataSource) return undefined;
    if (!dataSource.hasMetadata(AccessToken) || !dataSource.hasMetadata(users.entity)) return undefined; // the two reads name the fix
    const userMetadata = dataSource.getMetadata(users.entity);
    let reader = this.joinedReaders.get(userMetadata);
    if (reader === undefined) {
      const load = joinTokenWithUser<U>(dataSource, userMetadata);
      reader = load
        ? async (token) => {
            if (!isWellFormedOpaqueToken(token)) return { rejected: 'malformed' };
            const { row, user } = await load(digestToken(token));
            const grant = grantOf(row);
            return isRejection(grant) ? grant : { grant, user };
          }
        : null;
      this.joinedReaders.set(userMetadata, reader);
    }
    return (reader as TokenAndUserReader<U> | null) ?? undefined;
  }

  async revoke(token: string): Promise<void> {
    if (!isWellFormedOpaqueToken(token)) return;
    await this.repository.delete({ tokenHash: digestToken(token) });
  }

  async revokeAllForUser(userId: string, options: { exceptSessionId?: string } = {}): Promise<void> {
    if (options.exceptSessionId === undefined) {
      await this.repository.delete({ userId });
      return;
    }
    await this.repository.delete({ userId, sessionId: IsNull() });
    await this.repository.delete({ userId, sessionId: Not(options.exceptSessionId) });
  }

  async revokeSession(sessionId: string): Promise<void> {
    await this.repository.delete({ sessionId });
  }

  /** @deprecated Use `revoke`. */
  destroy(token: string): Promise<void> {
    return this.revoke(token);
  }

  /** @deprecated Use `revokeAllForUser`. */
  destroyAllForUser(userId: string, options: { exceptSessionId?: string } = {}): Promise<void> {
    return this.revokeAllForUser(userId, options);
  }

  /** @deprecated Use `revokeSession`. */
  destroySession(sessionId: string): Promise<void> {
    return this.revokeSession(sessionId);
  }

  /** Deletes expired rows; run it from a scheduled job. Returns how many were deleted. */
  async purgeExpired(now: Date = new Date()): Promise<number> {
    // In epoch ms, as stored: TypeORM does not run column transformers on delete criteria.
    const result = await this.repository.delete({ expiresAt: LessThan(now.getTime() as unknown as Date) });
    return result.affected ?? 0;
  }
}

/** What a stored token grants, or why it is refused. */
function grantOf(row: AccessToken | null): TokenGrant | TokenRejection {
  if (!row) return { rejected: 'unknown' };
  if (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now()) return { rejected: 'expired' };
  const grant: TokenGrant = { userId: row.userId, scopes: row.scopes };
  if (row.sessionId) grant.sessionId = row.sessionId;
  if (row.authTime) grant.authTime = row.authTime;
  if (row.amr) grant.amr = row.amr;
  return grant;
}
