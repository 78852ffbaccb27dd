import type { DataSource, Repository } from 'typeorm';
import { LessThan } from 'typeorm';
import { JwtRevocation } from '../../entities/jwt-revocation';
import { assertEntityUsable } from '../../typeorm/entity-check';
import { createPrimaryKeyLoader, type PrimaryKeyLoader } from '../../typeorm/primary-key-loader';
import type { IssuedToken, RevocationStore } from './revocation-store';
import type { PluginContext } from '../../lifecycle';

/** JWT revocations in the `jwt_revocation` table (register `JwtRevocation` with your DataSource). */
export class DatabaseRevocationStore implements RevocationStore {
  private load: PrimaryKeyLoader<JwtRevocation> | undefined;

  /** @param dataSource default: the one given to `Auth.configure` (set when the strategy is configured). */
  constructor(private dataSource?: DataSource) {}

  /** Takes the app's DataSource (from `JwtStrategy.init`) unless the constructor named one. */
  init(context: PluginContext): void {
    this.dataSource ??= context.dataSource;
  }

  /** @deprecated The library calls `init(context)`; this stays for code that called it directly. */
  useDataSource(dataSource: DataSource): void {
    this.dataSource ??= dataSource;
  }

  private get repository(): Repository<JwtRevocation> {
    assertEntityUsable(this.dataSource, JwtRevocation, 'DatabaseRevocationStore');
    return this.dataSource.getRepository(JwtRevocation);
  }

  async ready(): Promise<void> {
    await this.isRevoked({ tokenId: 'ready-check', userId: 'ready-check', issuedAtMs: 0, expiresAt: new Date(0) });
  }

  async isRevoked(token: IssuedToken): Promise<boolean> {
    this.load ??= createPrimaryKeyLoader(this.repository.manager.connection, JwtRevocation);
    const [denied, cutoff, session] = await Promise.all([
      this.load(`jti:${token.tokenId}`),
      this.load(`user:${token.userId}`),
      token.sessionId === undefined ? null : this.load(`sid:${token.sessionId}`),
    ]);
    if (denied || session) return true;
    return cutoff?.cutoffMs != null && token.issuedAtMs <= Number(cutoff.cutoffMs);
  }

  async revoke(token: IssuedToken): Promise<void> {
    await this.repository.upsert({ key: `jti:${token.tokenId}`, cutoffMs: null, expiresAt: token.expiresAt }, ['key']);
  }

  async revokeAllIssuedBefore(userId: string, at: Date): Promise<void> {
    await this.repository.upsert({ key: `user:${userId}`, cutoffMs: String(at.getTime()), expiresAt: null }, ['key']);
  }

  async revokeSession(sessionId: string, until: Date): Promise<void> {
    await this.repository.upsert({ key: `sid:${sessionId}`, cutoffMs: null, expiresAt: until }, ['key']);
  }

  /** Deletes deny-list entries of tokens that have expired anyway. Returns how many. */
  async purgeExpired(now: Date = new Date()): Promise<number> {
    // In epoch ms, as stored: TypeORM does not run column transformers on delete criteria.
    return (await this.repository.delete({ expiresAt: LessThan(now.getTime() as unknown as Date) })).affected ?? 0;
  }
}
