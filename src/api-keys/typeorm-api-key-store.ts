import { IsNull, LessThan, Or, type DataSource, type EntityMetadata, type Repository } from 'typeorm';
import { ApiKey } from '../entities/api-key';
import type { BaseUser } from '../entities/base-user';
import type { PluginContext } from '../lifecycle';
import { assertEntityUsable } from '../typeorm/entity-check';
import { createPrimaryKeyLoader, type PrimaryKeyLoader } from '../typeorm/primary-key-loader';
import { joinRowWithUser } from '../typeorm/row-with-user';
import type { UserTable } from '../users/user-store';
import type { ApiKeyCredential, ApiKeyInfo, ApiKeyStore, ApiKeyWithOwner, StoredApiKey } from './api-key-store';

type OwnerReader<U extends BaseUser> = (keyHash: string) => Promise<ApiKeyWithOwner<U>>;

/**
 * API keys in the `api_key` table (register `ApiKey` with your DataSource). Each request reads
 * one row by its digest, joined with its owner when the users live in the same DataSource: one
 * round trip. `touch` is one conditional UPDATE, so instances sharing the database write a key's
 * last use at most once per interval between them.
 */
export class TypeOrmApiKeyStore implements ApiKeyStore {
  private loadRow: PrimaryKeyLoader<ApiKey> | undefined;
  private readonly joined = new WeakMap<EntityMetadata, OwnerReader<BaseUser> | null>();

  /** @param dataSource default: the one given to `Auth.configure`. */
  constructor(private dataSource?: DataSource) {}

  init(context: PluginContext): void {
    this.dataSource ??= context.dataSource;
  }

  private get repository(): Repository<ApiKey> {
    assertEntityUsable(this.dataSource, ApiKey, 'ApiKeyStrategy (its TypeORM store)');
    return this.dataSource.getRepository(ApiKey);
  }

  async ready(): Promise<void> {
    await this.findByDigest('0'.repeat(64)); // one read through the request path's loader
  }

  async create(key: StoredApiKey): Promise<void> {
    await this.repository.insert(this.repository.create({ ...key }));
  }

  async findByDigest(keyHash: string): Promise<StoredApiKey | null> {
    const repository = this.repository;
    this.loadRow ??= createPrimaryKeyLoader(repository.manager.connection, ApiKey);
    const row = await this.loadRow(keyHash);
    return row ? storedOf(row) : null;
  }

  readWithOwner<U extends BaseUser>(users: UserTable<U>): OwnerReader<U> | undefined {
    const dataSource = this.dataSource;
    if (!dataSource?.isInitialized || users.dataSource !== dataSource) return undefined;
    if (!dataSource.hasMetadata(ApiKey) || !dataSource.hasMetadata(users.entity)) return undefined; // the plain reads name the fix
    const userMetadata = dataSource.getMetadata(users.entity);
    let reader = this.joined.get(userMetadata);
    if (reader === undefined) {
      // Only what a request needs: the row is fresh from the statement, handed on as it is.
      const load = joinRowWithUser<ApiKey, U>(dataSource, ApiKey, CREDENTIAL_COLUMNS, 'userId', userMetadata);
      reader = load
        ? async (keyHash) => {
            const { row, user } = await load(keyHash);
            return { key: row as ApiKeyCredential | null, owner: user };
          }
        : null;
      this.joined.set(userMetadata, reader);
    }
    return (reader as OwnerReader<U> | null) ?? undefined;
  }

  async get(id: string): Promise<ApiKeyInfo | null> {
    const row = await this.repository.findOneBy({ id });
    return row ? infoOf(row) : null;
  }

  async listForUser(userId: string): Promise<ApiKeyInfo[]> {
    const rows = await this.repository.find({ where: { userId }, order: { createdAt: 'ASC' } });
    return rows.map(infoOf);
  }

  async revoke(id: string): Promise<ApiKeyInfo | null> {
    const row = await this.repository.findOneBy({ id });
    if (!row) return null;
    const result = await this.repository.delete({ keyHash: row.keyHash });
    return result.affected === 0 ? null : infoOf(row); // a concurrent revoke deleted it first
  }

  async revokeAllForUser(userId: string): Promise<number> {
    return (await this.repository.delete({ userId })).affected ?? 0;
  }

  async touch(id: string, at: Date, notBefore: Date): Promise<boolean> {
    // In epoch ms, as stored: TypeORM does not run column transformers on criteria.
    const result = await this.repository.update({ id, lastUsedAt: Or(IsNull(), LessThan(notBefore.getTime() as unknown as Date)) }, { lastUsedAt: at });
    return (result.affected ?? 0) > 0;
  }

  async purgeExpired(now: Date = new Date()): Promise<number> {
    const result = await this.repository.delete({ expiresAt: LessThan(now.getTime() as unknown as Date) });
    return result.affected ?? 0;
  }
}

const CREDENTIAL_COLUMNS = ['id', 'userId', 'scopes', 'allowedIps', 'expiresAt'];

function infoOf(row: ApiKey): ApiKeyInfo {
  return {
    id: row.id,
    userId: row.userId,
    name: row.name,
    start: row.start,
    scopes: [...row.scopes],
    allowedIps: row.allowedIps ? [...row.allowedIps] : null,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
  };
}

function storedOf(row: ApiKey): StoredApiKey {
  return { ...infoOf(row), keyHash: row.keyHash };
}
