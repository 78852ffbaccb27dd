import type { DataSource, Repository } from 'typeorm';
import { Passkey } from '../entities/passkey';
import { BackendUnavailableError } from '../errors';
import type { Pluggable, PluginContext } from '../lifecycle';
import { isStoreOutage } from '../stores/outage';
import { assertEntityUsable } from '../typeorm/entity-check';
import { isUniqueViolation } from '../users/user-store';

/** What a registration stores. */
export type NewPasskey = Omit<Passkey, 'id' | 'createdAt' | 'lastUsedAt'>;

/** What one verified assertion changes on its passkey. */
export interface PasskeyUse {
  /** The authenticator's new sign counter. */
  counter: number;
  backedUp: boolean;
  usedAt: Date;
}

/** Where passkeys live. Ids of another user's passkeys behave exactly like unknown ids. */
export interface PasskeyStore extends Pluggable {
  /** The stored passkey; null when that credential id is registered already (to anyone). */
  create(passkey: NewPasskey): Promise<Passkey | null>;
  findByCredentialId(credentialId: string): Promise<Passkey | null>;
  /** The user's passkeys, oldest first. */
  listForUser(userId: string): Promise<Passkey[]>;
  /** True when the user has at least one passkey. */
  hasAny(userId: string): Promise<boolean>;
  /** The user's passkey of this id; null for an unknown or malformed id, or another user's. */
  findForUser(userId: string, id: string): Promise<Passkey | null>;
  /** The renamed passkey; null as for `findForUser`. */
  rename(userId: string, id: string, name: string): Promise<Passkey | null>;
  /** False when the user has no passkey of this id. */
  remove(userId: string, id: string): Promise<boolean>;
  /**
   * Records a use, atomically: only if the stored counter is still below `use.counter` (or both
   * are 0, an authenticator that keeps no counter). False otherwise: a concurrent assertion with
   * the same or a higher counter won, or the counter went backwards (a cloned authenticator).
   */
  recordUse(id: string, previousCounter: number, use: PasskeyUse): Promise<boolean>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Passkeys in the app's DataSource (SQLite, PostgreSQL, …), which must register the `Passkey` entity. */
export class TypeOrmPasskeyStore implements PasskeyStore {
  private dataSource: DataSource | undefined;

  /** @param dataSource default: the one given to `Auth.configure`. */
  constructor(dataSource?: DataSource) {
    this.dataSource = dataSource;
  }

  init(context: PluginContext): void {
    this.dataSource ??= context.dataSource;
  }

  async ready(): Promise<void> {
    void this.repository;
  }

  private get repository(): Repository<Passkey> {
    assertEntityUsable(this.dataSource, Passkey, 'Auth.configure({ passkeys })');
    return this.dataSource.getRepository(Passkey);
  }

  async create(passkey: NewPasskey): Promise<Passkey | null> {
    const row = this.repository.create({ ...passkey, createdAt: new Date(), lastUsedAt: null });
    try {
      return await this.repository.save(row);
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      if (isStoreOutage(error)) throw BackendUnavailableError.causedBy(error);
      throw error;
    }
  }

  findByCredentialId(credentialId: string): Promise<Passkey | null> {
    return guarded(() => this.repository.findOneBy({ credentialId }));
  }

  listForUser(userId: string): Promise<Passkey[]> {
    return guarded(() => this.repository.find({ where: { userId }, order: { createdAt: 'ASC' } }));
  }

  async hasAny(userId: string): Promise<boolean> {
    return guarded(() => this.repository.existsBy({ userId }));
  }

  async findForUser(userId: string, id: string): Promise<Passkey | null> {
    // PostgreSQL refuses a malformed uuid with an error: it is simply no passkey of the user's.
    if (!UUID.test(id)) return null;
    return guarded(() => this.repository.findOneBy({ id, userId }));
  }

  async rename(userId: string, id: string, name: string): Promise<Passkey | null> {
    if (!UUID.test(id)) return null;
    const result = await guarded(() => this.repository.update({ id, userId }, { name }));
    return result.affected ? this.findForUser(userId, id) : null;
  }

  async remove(userId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const result = await guarded(() => this.repository.delete({ id, userId }));
    return Boolean(result.affected);
  }

  async recordUse(id: string, previousCounter: number, use: PasskeyUse): Promise<boolean> {
    // Compare-and-set on the counter read before verifying: of two assertions racing with one
    // counter value, one wins; a counter that is not ahead of the stored one never lands.
    const query = this.repository
      .createQueryBuilder()
      .update(Passkey)
      .set({ counter: use.counter, backedUp: use.backedUp, lastUsedAt: use.usedAt })
      .where('id = :id', { id })
      .andWhere('counter = :previous', { previous: previousCounter });
    if (use.counter === 0) query.andWhere('counter = 0');
    else query.andWhere('counter < :counter', { counter: use.counter });
    const result = await guarded(() => query.execute());
    return Boolean(result.affected);
  }
}

async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isStoreOutage(error)) throw BackendUnavailableError.causedBy(error);
    throw error;
  }
}
