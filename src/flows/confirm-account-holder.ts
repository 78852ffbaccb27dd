import type { Principal } from '../authenticator';
import type { BaseUser } from '../entities/base-user';
import { CurrentPasswordInvalidError } from '../errors';
import type { HttpExchange } from '../http/request';
import { findRouteCall } from '../routes/route-call';

/** What `confirmAccountHolder` needs of the app: its `Auth` facade has all of it. */
export interface AccountHolderCheck<U extends BaseUser> {
  readonly userManager: { hasUsablePassword(user: U): boolean; verifyPassword(user: U, password: string): Promise<boolean> };
  readonly rateLimits?: { reset(action: 'login', account: string): Promise<void> };
  limitAttempt(action: 'login', exchange: HttpExchange, account: string): Promise<void>;
  requireRecentSignIn(principal: Principal<U>, maxAgeSeconds?: number): void;
  requireSession(principal: Principal<U>): void;
}

export interface ConfirmAccountHolderOptions {
  /**
   * True: an account with a password must give it, a recent sign-in is not enough (a password or
   * email change). False (default): the current password or a recent sign-in will do (enrolling
   * a second factor, creating an API key, …).
   */
  passwordRequired?: boolean;
}

/**
 * Proof that the account holder is at the keyboard before a change a stolen access token alone
 * must not make: the current password (each try counts in the account's login budget, so this is
 * no way around login's rate limit) or a sign-in within `recentSignInMaxAgeSeconds`. A credential
 * with no sign-in behind it (a token made in code, an API key) never passes the second way.
 *
 * Throws 400 `CURRENT_PASSWORD_INVALID` for a wrong password (or a missing one when it is required)
 * and 401 `REAUTHENTICATION_REQUIRED` when neither proof is there. An API key proves nothing, with or
 * without the password: 401 `UNAUTHORIZED` (`requireSession`).
 */
export async function confirmAccountHolder<U extends BaseUser>(
  auth: AccountHolderCheck<U>,
  principal: Principal<U>,
  exchange: HttpExchange,
  currentPassword: string | undefined,
  options: ConfirmAccountHolderOptions = {},
): Promise<void> {
  auth.requireSession(principal);
  const user = principal.user;
  // An account without a password of its own (social sign-in) proves it by a recent sign-in only.
  if (!auth.userManager.hasUsablePassword(user)) return auth.requireRecentSignIn(principal);
  if (currentPassword === undefined && !options.passwordRequired) return auth.requireRecentSignIn(principal);
  await countLoginAttempt(auth, exchange, user.email);
  if (currentPassword === undefined) throw new CurrentPasswordInvalidError('This change needs `currentPassword`.');
  if (!(await auth.userManager.verifyPassword(user, currentPassword))) throw new CurrentPasswordInvalidError('The current password is wrong.');
  await auth.rateLimits?.reset('login', user.email);
}

/** An attempt in the account's login budget: the route's declared one when it counts `login`, else a direct count. */
export async function countLoginAttempt<U extends BaseUser>(auth: AccountHolderCheck<U>, exchange: HttpExchange, account: string): Promise<void> {
  const call = findRouteCall(exchange);
  if (call?.declaration.rateLimit?.action === 'login') await call.countAttempt(account);
  else await auth.limitAttempt('login', exchange, account);
}
