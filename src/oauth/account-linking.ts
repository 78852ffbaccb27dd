import type { BaseUser } from '../entities/base-user';
import type { OAuthAccount } from '../entities/oauth-account';
import { BadRequestError, ErrorCode, UserAlreadyExistsError } from '../errors';
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

export interface SignedInUser<U extends BaseUser> {
  user: U;
  account: OAuthAccount;
  created: boolean;
}

const alreadyLinked = () => new BadRequestError(ErrorCode.OAUTH_ACCOUNT_ALREADY_LINKED, 'This provider account is already linked to another user.');
const userExists = (message: string) => new BadRequestError(ErrorCode.OAUTH_USER_ALREADY_EXISTS, message);

/**
 * The user a social login signs in: the one the provider account is linked to; else, with
 * `associateByEmail` and an email the provider verified, the user with that email (now linked;
 * an account whose email nobody had proven is claimed first, see `UserManager.claimForVerifiedEmail`);
 * else a new user (no usable password) linked to it. Never a user found by email alone.
 */
export async function userForSignIn<U extends BaseUser>(
  users: UserManager<U>,
  accounts: OAuthAccountStore,
  providerName: string,
  profile: OAuthProfile,
  options: LinkingOptions,
  request: unknown,
): Promise<SignedInUser<U>> {
  const linked = await linkedUser(users, accounts, providerName, profile);
  if (linked) return { ...linked, created: false };

  if (!profile.email) throw new BadRequestError(ErrorCode.OAUTH_EMAIL_NOT_AVAILABLE, 'The provider did not share an email address.');
  const existing = await users.getByEmail(profile.email);
  if (existing) {
    if (!options.associateByEmail) throw userExists('An account with this email already exists. Sign in and link this provider to it.');
    if (!profile.emailVerified) throw userExists('An account with this email already exists, and the provider has not verified the email.');
    const owned = existing.isVerified ? existing : await users.claimForVerifiedEmail(existing, providerName, request);
    return { user: owned, account: await link(accounts, providerName, profile, owned.id, true), created: false };
  }

  let user: U;
  try {
    user = await users.createWithoutPassword({ email: profile.email, isVerified: options.isVerifiedByDefault && profile.emailVerified } as any, {
      safe: false,
    });
  } catch (error) {
    if (error instanceof UserAlreadyExistsError) throw userExists('An account with this email already exists.');
    throw error;
  }
  let account: OAuthAccount;
  try {
    account = await link(accounts, providerName, profile, user.id, profile.emailVerified);
  } catch (error) {
    // Nothing half-made: a user whose link failed (a concurrent first sign-in won) is removed.
    await users.discardUnannounced(user).catch(() => undefined);
    throw error;
  }
  await users.runOAuthRegisterHooks(user, account, request);
  return { user, account, created: true };
}

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
async function linkedUser<U extends BaseUser>(
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
async function link(accounts: OAuthAccountStore, providerName: string, profile: OAuthProfile, userId: string, emailVerified: boolean): Promise<OAuthAccount> {
  const values = { providerName, accountId: profile.accountId, accountEmail: profile.email ?? null, userId, emailVerified };
  if (!(await accounts.link(values))) throw alreadyLinked();
  const account = await accounts.find(providerName, profile.accountId);
  if (!account) throw alreadyLinked();
  return account;
}
