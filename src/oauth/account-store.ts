import type { DataSource, Repository } from 'typeorm';
import type { Pluggable, PluginContext } from '../lifecycle';
import { BackendUnavailableError } from '../errors';
import { OAuthAccount } from '../entities/oauth-account';
import { isStoreOutage } from '../stores/outage';
import { isUniqueViolation } from '../users/user-store';
import { assertEntityUsable } from '../typeorm/entity-check';

/** What a link records about a provider account. */
export interface OAuthAccountLink {
  providerName: string;
  accountId: string;
  accountEmail: string | null;
  userId: string;
  /** Made on proof of the user's email (see `OAuthAccount.emailVerified`). */
  emailVerified: boolean;
}

/** Where the links between provider accounts and users live. */
export interface OAuthAccountStore extends Pluggable {
  /** Optional: once, when `Auth.configure` runs (a store given in its `oauthAccounts`). */
  init?(context: PluginContext): void;
  find(providerName: string, accountId: string): Promise<OAuthAccount | null>;
  /** Returns false when that provider account is already linked (the unique index decides, also in a race). */
  link(link: OAuthAccountLink): Promise<boolean>;
  /** Records the email the provider reports now. */
  updateEmail(account: OAuthAccount, accountEmail: string | null): Promise<void>;
  /** Removes one link (a link whose user is gone). */
  unlink(account: OAuthAccount): Promise<void>;
  /**
   * Removes every link of the user not made on proof of their email (`emailVerified` false) and
   * returns them: someone just proved the address, and whoever made those links may not own it.
   */
  unlinkUnverified(userId: string): Promise<OAuthAccount[]>;
  /** Optional: confirms at start-up (`auth.ready()`) that the store is usable; throws `AuthConfigurationError` naming the fix. */
  ready?(): Promise<void>;
}

/** The links in the app's DataSource, which must register the `OAuthAccount` entity. */
export class TypeOrmOAuthAccountStore implements OAuthAccountStore {
  constructor(private readonly dataSource: DataSource) {}

  private get repository(): Repository<OAuthAccount> {
    assertEntityUsable(this.dataSource, OAuthAccount, 'OAuthController (social login)');
    return this.dataSource.getRepository(OAuthAccount);
  }

  async ready(): Promise<void> {
    void this.repository;
  }

  find(providerName: string, accountId: string): Promise<OAuthAccount | null> {
    return guarded(() => this.repository.findOneBy({ providerName, accountId }));
  }

  async link(link: OAuthAccountLink): Promise<boolean> {
    try {
      await this.repository.insert(link);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      if (isStoreOutage(error)) throw BackendUnavailableError.causedBy(error);
      throw error;
    }
  }

  async updateEmail(account: OAuthAccount, accountEmail: string | null): Promise<void> {
    if (account.accountEmail === accountEmail) return;
    await guarded(() => this.repository.update({ id: account.id }, { accountEmail }));
    account.accountEmail = accountEmail;
  }

  async unlink(account: OAuthAccount): Promise<void> {
    await guarded(() => this.repository.delete({ id: account.id }));
  }

  async unlinkUnverified(userId: string): Promise<OAuthAccount[]> {
    const unverified = await guarded(() => this.repository.findBy({ userId, emailVerified: false }));
    // By the condition, not by the ids read: a link made meanwhile goes too.
    if (unverified.length > 0) await guarded(() => this.repository.delete({ userId, emailVerified: false }));
    return unverified;
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
