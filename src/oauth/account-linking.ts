import type { BaseUser } from '../entities/base-user';
import type { OAuthAccount } from '../entities/oauth-account';
import { BadRequestError, ErrorCode } from '../errors';
import { normaliseEmail } from '../users/emails';
import type { UserManager } from '../users/user-manager';
import type { OAuthAccountStore } from './account-store';
import type { OAuthProfile } from './provider';

export interface LinkingOptions {
  /** Link to an existing user with the same email, only when the provider verified it. */
  associateByEmail: boolean;
  /** New users take `isVerified` from the provider's verified-email claim. */
  isVerifiedByDefault: boolean;
}

export const alreadyLinked = () => new BadRequestError(ErrorCode.OAUTH_ACCOUNT_ALREADY_LINKED, 'This provider account is already linked to another user.');

/**
 * Links the provider account to `user` (the associate flow). Already linked to this user: the
 * email is refreshed; linked to another user: 400 `OAUTH_ACCOUNT_ALREADY_LINKED`.
 */
export async function linkToUser<U extends BaseUser>(
  users: UserManager<U>,
  accounts: OAuthAccountStore,
  providerName: string,
  profile: OAuthProfile,
  user: U,
): Promise<OAuthAccount> {
  const linked = await linkedUser(users, accounts, providerName, profile);
  if (linked) {
    if (linked.user.id !== user.id) throw alreadyLinked();
    return linked.account;
  }
  // Proof of the email: the user had verified it, or the provider verified this very address.
  const sameVerifiedEmail = profile.emailVerified && !!profile.email && normaliseEmail(profile.email) === user.email;
  return link(accounts, providerName, profile, user.id, user.isVerified || sameVerifiedEmail);
}

/** The user the provider account is linked to; a link whose user was deleted is dropped. */
export async function linkedUser<U extends BaseUser>(
  users: UserManager<U>,
  accounts: OAuthAccountStore,
  providerName: string,
  profile: OAuthProfile,
): Promise<{ user: U; account: OAuthAccount } | undefined> {
  const account = await accounts.find(providerName, profile.accountId);
  if (!account) return undefined;
  const user = await users.get(account.userId);
  if (!user) {
    await accounts.unlink(account);
    return undefined;
  }
  await accounts.updateEmail(account, profile.email ?? null);
  return { user, account };
}

/** `emailVerified`: the link is made on proof of the user's email (see `OAuthAccount.emailVerified`). */
export async function link(
  accounts: OAuthAccountStore,
  providerName: string,
  profile: OAuthProfile,
  userId: string,
  emailVerified: boolean,
): Promise<OAuthAccount> {
  const values = { providerName, accountId: profile.accountId, accountEmail: profile.email ?? null, userId, emailVerified };
  if (!(await accounts.link(values))) throw alreadyLinked();
  const account = await accounts.find(providerName, profile.accountId);
  if (!account) throw alreadyLinked();
  return account;
}
