import type { DataSource, EntityTarget, Repository } from 'typeorm';
import { QueryFailedError } from 'typeorm';
import { BackendUnavailableError, UserAlreadyExistsError } from '../errors';
import { isStoreOutage } from '../stores/outage';
import { assertEntityUsable, isMissingEntityMetadata } from '../typeorm/entity-check';
import { createPrimaryKeyLoader, type PrimaryKeyLoader } from '../typeorm/primary-key-loader';
import type { BaseUser } from '../entities/base-user';
import type { Pluggable, PluginContext } from '../lifecycle';

/**
 * Where users live. The TypeORM implementation is the default; an app that keeps users
 * elsewhere implements this (fastapi-login's `user_loader`, with writes).
 */
export interface UserStore<U extends BaseUser> extends Pluggable {
  /** Optional: once, when `Auth.configure` runs (e.g. to take the app's DataSource or events). */
  init?(context: PluginContext): void;
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
  /**
   * Optional: where the users live, when they are rows of a TypeORM entity that `findById` loads
   * by primary key and nothing more. A strategy keeping its tokens in the same DataSource can then
   * load a token and its user in one statement. Undefined (or absent) keeps the two reads apart.
   */
  table?(): UserTable<U> | undefined;
  /** Optional: confirms at start-up (`auth.ready()`) that the store is usable; throws `AuthConfigurationError` naming the fix. */
  ready?(): Promise<void>;
}

/** A user store's users as a TypeORM entity (see `UserStore.table`). */
export interface UserTable<U extends BaseUser> {
  dataSource: DataSource;
  entity: EntityTarget<U>;
}

/** The text of a uuid, any case (also matched in SQL by the one-statement token read). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

  /** Store errors as the library's: taken email, outage, or TypeORM not knowing the entity (with the fix). */
  private readonly translateError = (error: unknown): never => {
    if (isMissingEntityMetadata(error)) assertEntityUsable(this.dataSource, this.entity, 'Auth.configure({ userEntity })');
    return translateStoreError(error);
  };

  // On every authenticated request: one promise, not two async frames.
  findById(id: string): Promise<U | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    try {
      return this.loadById(id).catch(this.translateError);
    } catch (error) {
      // The loader is built on first use and may throw right away (an entity TypeORM does not know).
      return Promise.reject(error).catch(this.translateError);
    }
  }

  /**
   * The users' entity, for strategies that read a token and its user in one statement; undefined
   * when a subclass loads users its own way (an overridden `findById`), which must stay in charge.
   */
  table(): UserTable<U> | undefined {
    if (this.findById !== TypeOrmUserStore.prototype.findById) return undefined;
    return { dataSource: this.dataSource, entity: this.entity };
  }

  /** Confirms at start-up that the user entity is usable, and decides how it is loaded on the request path. */
  async ready(): Promise<void> {
    assertEntityUsable(this.dataSource, this.entity, 'Auth.configure({ userEntity })');
    await this.loadById('00000000-0000-4000-8000-000000000000');
  }

  findByEmail(email: string): Promise<U | null> {
    return guarded(() => this.repository.findOneBy({ email } as any), this.translateError);
  }

  async create(fields: Partial<U>): Promise<U> {
    return guarded(() => this.repository.save(this.repository.create(fields as any) as any), this.translateError) as Promise<U>;
  }

  async update(user: U, fields: Partial<U>): Promise<U> {
    const merged = this.repository.merge(this.repository.create({ ...user } as any) as any, fields as any);
    await guarded(() => this.repository.update({ id: user.id } as any, fields as any), this.translateError);
    return merged;
  }

  async replacePasswordHash(userId: string, expectedHash: string, newHash: string): Promise<boolean> {
    const result = await guarded(
      () => this.repository.update({ id: userId, hashedPassword: expectedHash } as any, { hashedPassword: newHash } as any),
      this.translateError,
    );
    return result.affected === 1;
  }

  async delete(user: U): Promise<void> {
    await guarded(() => this.repository.delete({ id: user.id } as any), this.translateError);
  }
}

/**
 * A taken email (the unique index decides, also in a race) is `UserAlreadyExistsError`; a
 * database that cannot be reached is 503 `AUTH_BACKEND_UNAVAILABLE` on every route (login,
 * register, …), never a 500 carrying the driver's error. Anything else is a bug and stays one.
 */
async function guarded<T>(run: () => Promise<T>, translate: (error: unknown) => never = translateStoreError): Promise<T> {
  try {
    return await run();
  } catch (error) {
    return translate(error);
  }
}

function translateStoreError(error: unknown): never {
  if (isUniqueViolation(error)) throw new UserAlreadyExistsError();
  if (isStoreOutage(error)) throw BackendUnavailableError.causedBy(error);
  throw error;
}
