import type { AuthenticationBackend } from '../backend';
import type { BaseUser } from '../entities/base-user';
import type { OAuthAccount } from '../entities/oauth-account';
import { BadRequestError, ErrorCode, UserAlreadyExistsError, UserNotVerifiedError } from '../errors';
import type { HttpExchange } from '../http/request';
import { link, linkedUser, type LinkingOptions } from '../oauth/account-linking';
import type { OAuthAccountStore } from '../oauth/account-store';
import type { OAuthProfile } from '../oauth/provider';
import type { LoginResponseBody } from '../transports/transport';
import type { UserManager } from '../users/user-manager';
import { grantScopes } from '../users/scopes';
import { type ContextSource, contextOf } from './flow-context';
import { logInAfterFirstFactor } from './second-factor-login';

export interface SignedInUser<U extends BaseUser> {
  user: U;
  account: OAuthAccount;
  created: boolean;
}

const userExists = (message: string) => new BadRequestError(ErrorCode.OAUTH_USER_ALREADY_EXISTS, message);

/** A social sign-in whose provider profile was read: who it is, and where it links and logs in. */
export interface ProviderSignIn {
  backend: AuthenticationBackend;
  providerName: string;
  profile: OAuthProfile;
  accounts: OAuthAccountStore;
  linking: LinkingOptions;
}

/**
 * The callback of a social login, once the provider vouched for the profile: finds (or creates and
 * links) the user, refuses a disabled one (and an unverified one when verification is required),
 * runs `onAfterOAuthLogin` and logs the user in through the backend (`amr: ['fed']`), or answers
 * `mfa_required` for a user with a second factor (see `logInAfterFirstFactor`).
 */
export async function signInWithProvider<U extends BaseUser>(
  app: ContextSource<U>,
  signIn: ProviderSignIn,
  exchange: HttpExchange,
): Promise<LoginResponseBody> {
  const context = contextOf(app);
  const manager = context.users.manager;
  const { user, account } = await userForSignIn(manager, signIn.accounts, signIn.providerName, signIn.profile, signIn.linking, exchange.request);
  if (!user.isActive) throw new BadRequestError(ErrorCode.LOGIN_BAD_CREDENTIALS, 'This account is disabled.');
  if (context.users.requireVerification && !user.isVerified) throw new UserNotVerifiedError();
  await manager.runOAuthLoginHooks(user, account, exchange.request);
  // A provider's sign-in is one factor: a user with a second factor proves it at POST /2fa/verify.
  return logInAfterFirstFactor(context, signIn.backend, user, exchange, grantScopes(await manager.getScopes(user), undefined), { amr: ['fed'] });
}

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
