import type { DataSource } from 'typeorm';
import { OAuthAccount } from '../entities/oauth-account';
import { AuthConfigurationError } from '../errors';
import type { PluginContext } from '../lifecycle';
import { type OAuthAccountStore, TypeOrmOAuthAccountStore } from './account-store';

/**
 * Every store of provider-account links the app has, known from `Auth.configure` on: email
 * verification and password reset must reach each of them (to remove the links made without
 * proof of the email) even before any social-login controller has served a request.
 */
export class OAuthAccountStores {
  private readonly given: OAuthAccountStore[];
  private readonly implicit: TypeOrmOAuthAccountStore | undefined;

  /**
   * @param given `Auth.configure({ oauthAccounts })`.
   * @param dataSource without `given`: the `OAuthAccount` entity in it, when it is registered there.
   */
  constructor(
    given: OAuthAccountStore | OAuthAccountStore[] | undefined,
    private readonly dataSource: DataSource | undefined,
  ) {
    this.given = given === undefined ? [] : Array.isArray(given) ? [...given] : [given];
    this.implicit = this.given.length === 0 && dataSource ? new TypeOrmOAuthAccountStore(dataSource) : undefined;
  }

  /** The store an `OAuthController` without its own `accounts` uses: the first given, else the DataSource's. */
  get default(): OAuthAccountStore {
    const store = this.given[0] ?? this.implicit;
    if (!store) throw new AuthConfigurationError('OAuthController: give `oauthAccounts` or a `dataSource` to Auth.configure.');
    return store;
  }

  /** Checks that a controller's own store is one of these (else verification could not reach its links). */
  assertKnown(store: OAuthAccountStore): void {
    if (this.given.includes(store)) return;
    throw new AuthConfigurationError(
      'OAuthController: its `accounts` store must also be given to Auth.configure({ oauthAccounts }), so email verification and password reset can remove the links made without proof of the email.',
    );
  }

  /** Initialises each store given to `Auth.configure` (once, with the app's context). */
  init(context: PluginContext): void {
    for (const store of this.given) store.init?.(context);
  }

  /** The stores given to `Auth.configure`, for `auth.ready()` to confirm (the default one is checked by its controllers). */
  configured(): readonly OAuthAccountStore[] {
    return this.given;
  }

  /** Removes the user's links made without proof of their email, from every store; returns them. */
  async unlinkUnverified(userId: string): Promise<OAuthAccount[]> {
    const removed: OAuthAccount[] = [];
    for (const store of this.stores()) removed.push(...(await store.unlinkUnverified(userId)));
    return removed;
  }

  private stores(): OAuthAccountStore[] {
    if (this.given.length > 0) return this.given;
    // The default store only when the app registered the entity: an app without social login has no links.
    return this.implicit && this.dataSource?.hasMetadata(OAuthAccount) ? [this.implicit] : [];
  }
}
