import type { DataSource, EntityTarget, Repository } from 'typeorm';
import { QueryFailedError } from 'typeorm';
import { BackendUnavailableError, UserAlreadyExistsError } from '../errors';
import { isStoreOutage } from '../stores/outage';
import { createPrimaryKeyLoader, type PrimaryKeyLoader } from '../typeorm/primary-key-loader';
import type { BaseUser } from '../entities/base-user';

/**
 * Where users live. The TypeORM implementation is the default; an app that keeps users
 * elsewhere implements this (fastapi-login's `user_loader`, with writes).
 */
export interface UserStore<U extends BaseUser> {
  findById(id: string): Promise<U | null>;
  /** `email` is already normalised (lower-cased). */
  findByEmail(email: string): Promise<U | null>;
  /** Throws `UserAlreadyExistsError` when the email is taken. */
  create(fields: Partial<U>): Promise<U>;
  /** Throws `UserAlreadyExistsError` when the new email is taken. */
  update(user: U, fields: Partial<U>): Promise<U>;
  delete(user: U): Promise<void>;
  /**
   * Sets a new password hash only if the stored one is still `expectedHash` (compare-and-set),
   * so two concurrent uses of one reset token cannot both succeed. True when it was replaced.
   */
  replacePasswordHash(userId: string, expectedHash: string, newHash: string): Promise<boolean>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for the strings the uuid primary key can hold; anything else is "no such user". */
export function isUuid(id: unknown): id is string {
  return typeof id === 'string' && UUID.test(id);
}

/** SQLite and PostgreSQL report a unique-index violation differently; both mean "taken". */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError: any = (error as any).driverError ?? {};
  return driverError.code === '23505' || driverError.code === 'SQLITE_CONSTRAINT_UNIQUE' || driverError.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export class TypeOrmUserStore<U extends BaseUser> implements UserStore<U> {
  private readonly loadById: PrimaryKeyLoader<U>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly entity: EntityTarget<U>,
  ) {
    this.loadById = createPrimaryKeyLoader(dataSource, entity);
  }

  private get repository(): Repository<U> {
    return this.dataSource.getRepository(this.entity);
  }

  // On every authenticated request: one promise, not two async frames.
  findById(id: string): Promise<U | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.loadById(id).catch(translateStoreError);
  }

  findByEmail(email: string): Promise<U | null> {
    return guarded(() => this.repository.findOneBy({ email } as any));
  }

  async create(fields: Partial<U>): Promise<U> {
    const user = this.repository.create(fields as any) as unknown as U;
    return guarded(() => this.repository.save(user as any));
  }

  async update(user: U, fields: Partial<U>): Promise<U> {
    const merged = this.repository.merge(this.repository.create({ ...user } as any) as any, fields as any) as unknown as U;
    await guarded(() => this.repository.update({ id: user.id } as any, fields as any));
    return merged;
  }

  async replacePasswordHash(userId: string, expectedHash: string, newHash: string): Promise<boolean> {
    const result = await guarded(() => this.repository.update({ id: userId, hashedPassword: expectedHash } as any, { hashedPassword: newHash } as any));
    return result.affected === 1;
  }

  async delete(user: U): Promise<void> {
    await guarded(() => this.repository.delete({ id: user.id } as any));
  }
}

/**
 * A taken email (the unique index decides, also in a race) is `UserAlreadyExistsError`; a
 * database that cannot be reached is 503 `AUTH_BACKEND_UNAVAILABLE` on every route (login,
 * register, …), never a 500 carrying the driver's error. Anything else is a bug and stays one.
 */
async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    return translateStoreError(error);
  }
}

function translateStoreError(error: unknown): never {
  if (isUniqueViolation(error)) throw new UserAlreadyExistsError();
  if (isStoreOutage(error)) throw new BackendUnavailableError();
  throw error;
}
