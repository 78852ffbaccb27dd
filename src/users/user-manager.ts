import { InvalidResetTokenError, InvalidVerifyTokenError, UserAlreadyExistsError, UserAlreadyVerifiedError, UserHookError } from '../errors';
import type { BaseUser } from '../entities/base-user';
import type { OAuthAccount } from '../entities/oauth-account';
import type { AuthEvents, OAuthUnlinkReason } from '../security/events';
import type { SessionInfo } from '../sessions/session-store';
import { normaliseEmail } from './emails';
import { isUnusablePasswordHash, unusablePasswordHash } from './unusable-password';
import type { PasswordHasher } from './password';
import { checkPasswordPolicy } from './password-policy';
import { SUPERUSER_SCOPE } from './scopes';
import type { UserStore } from './user-store';
import type { UserTokens } from './user-tokens';

/** Fields a caller gives to create a user; the app's own columns come along. */
export type UserCreate<U extends BaseUser> = Partial<Omit<U, 'hashedPassword'>> & { email: string; password: string };
/** Fields a caller gives to update a user; `password` is hashed, never stored as given. */
export type UserUpdate<U extends BaseUser> = Partial<Omit<U, 'hashedPassword' | 'id'>> & { password?: string };
/**
 * What `onAfterUpdate` receives: the fields the caller asked to change that were accepted (email
 * normalised, protected columns dropped in safe mode). The new password itself is never handed
 * on — a hook that logs its `update` must not log a password — only `passwordChanged: true`.
 */
export type UserChanges<U extends BaseUser> = Partial<Omit<U, 'hashedPassword' | 'id'>> & { passwordChanged?: true };

/** Columns only trusted code may set; `safe` operations (the default) drop them. */
export const PROTECTED_USER_FIELDS = ['id', 'hashedPassword', 'isActive', 'isSuperuser', 'isVerified', 'scopes'] as const;

export interface OperationOptions {
  /** Default true: drop `id`, `isActive`, `isSuperuser`, `isVerified`, `scopes` from the input. */
  safe?: boolean;
  /** The framework's request, handed to hooks. */
  request?: unknown;
  /**
   * The session making the change (`PATCH /me`): a password change ends every other session
   * and keeps this one.
   */
  currentSessionId?: string;
}

/** What `Auth.configure` hands a UserManager. */
export interface UserManagerContext<U extends BaseUser> {
  store: UserStore<U>;
  hasher: PasswordHasher;
  tokens: UserTokens;
  /** Destroys every token of the user in every backend that can (logout everywhere). */
  revokeAllTokens(userId: string, options?: { exceptSessionId?: string }): Promise<void>;
  /** Where auth events go (`password.reset`). */
  events?: AuthEvents;
  /** Removes the user's provider links made without proof of their email, in every store; returns them. */
  unlinkUnverifiedOAuthAccounts?(userId: string): Promise<OAuthAccount[]>;
  /**
   * Where a failed after-hook is reported (the app's server log and `internal.error` event);
   * without it, the server log only.
   */
  reportFailure?(error: unknown, where: string): void;
}

type AfterHook =
  | 'onAfterLogin'
  | 'onAfterRegister'
  | 'onAfterUpdate'
  | 'onAfterRequestVerify'
  | 'onAfterVerify'
  | 'onAfterForgotPassword'
  | 'onAfterResetPassword'
  | 'onAfterDelete'
  | 'onAfterOAuthRegister'
  | 'onAfterOAuthLogin'
  | 'onAfterOAuthUnlinked'
  | 'onAfterRefresh'
  | 'onAfterSessionRevoked';

/**
 * Users: creation, authentication, updates, verification and password reset, with hooks.
 * Subclass it and override the hooks (all optional, all may be async), then pass the class as
 * `Auth.configure({ userManager: MyUserManager })`.
 *
 * When a hook throws:
 * - `validatePassword` and `onBeforeDelete` run before anything is written: their error stops the
 *   operation, nothing is changed, and the error reaches the caller as thrown (an
 *   `InvalidPasswordError` becomes the route's `*_INVALID_PASSWORD` answer; any `HttpError` keeps
 *   its status, e.g. a 409 "cannot delete the last admin").
 * - `onAfter…` hooks run once every write (and token revocation) of the operation is done, so
 *   the change is complete and stays: they send emails and call webhooks, which cannot be undone
 *   anyway. Their error is rethrown as `UserHookError` (500 `USER_HOOK_FAILED`) naming the hook.
 */
export class UserManager<U extends BaseUser = BaseUser> {
  constructor(protected readonly context: UserManagerContext<U>) {}

  // ---- hooks --------------------------------------------------------------------------------

  /**
   * Throw `InvalidPasswordError(reason)` to refuse a password (runs after the default policy).
   * `user` is the user as it will be: on registration it has no `id` yet.
   */
  validatePassword(_password: string, _user: Partial<U>): void | Promise<void> {}
  /** After a user was created (`POST /register` or `create`). */
  onAfterRegister(_user: U, _request?: unknown): void | Promise<void> {}
  /**
   * With `enumerationSafeRegistration`, someone tried to register an email that has an account:
   * the caller got the same 202 as a new sign-up, so tell the owner here (e.g. "you already have
   * an account; reset your password?").
   */
  onRegisterExistingEmail(_existing: U, _request?: unknown): void | Promise<void> {}
  /** After a user was updated; `update` holds the accepted changes, never the password itself. */
  onAfterUpdate(_user: U, _update: UserChanges<U>, _request?: unknown): void | Promise<void> {}
  /** A verify token was issued: email it (e.g. a link carrying the token) to `user.email`. */
  onAfterRequestVerify(_user: U, _token: string, _request?: unknown): void | Promise<void> {}
  /** After the user was marked verified. */
  onAfterVerify(_user: U, _request?: unknown): void | Promise<void> {}
  /** A reset token was issued: email it to `user.email`. */
  onAfterForgotPassword(_user: U, _token: string, _request?: unknown): void | Promise<void> {}
  /** After a password was reset (every token of the user is already revoked). */
  onAfterResetPassword(_user: U, _request?: unknown): void | Promise<void> {}
  /** After a successful login, before the token is sent. */
  onAfterLogin(_user: U, _request?: unknown, _response?: unknown): void | Promise<void> {}
  /**
   * After a social login created a user and linked its provider account (`onAfterRegister` has
   * run just before). The user has no usable password until a reset sets one.
   */
  onAfterOAuthRegister(_user: U, _account: OAuthAccount, _request?: unknown): void | Promise<void> {}
  /** After a social login found (or created) the user, before the token is sent. */
  onAfterOAuthLogin(_user: U, _account: OAuthAccount, _request?: unknown): void | Promise<void> {}
  /**
   * After someone proved the user's email (`reason`: verification, password reset, or a provider
   * that verified it claiming an unverified account) and the provider links made without that
   * proof were removed (the user's sessions and tokens already ended). Called only when some were.
   */
  onAfterOAuthUnlinked(_user: U, _accounts: OAuthAccount[], _reason: OAuthUnlinkReason, _request?: unknown): void | Promise<void> {}
  /** After a refresh token was rotated, before the new tokens are sent. */
  onAfterRefresh(_user: U, _session: SessionInfo, _request?: unknown): void | Promise<void> {}
  /** After a session was ended (logout, the session list, reuse detected), its tokens already revoked. */
  onAfterSessionRevoked(_user: U, _session: SessionInfo, _request?: unknown): void | Promise<void> {}
  /** Throw to refuse the deletion: nothing is deleted and no token is revoked. */
  onBeforeDelete(_user: U, _request?: unknown): void | Promise<void> {}
  /** After the user and every token of theirs were deleted. */
  onAfterDelete(_user: U, _request?: unknown): void | Promise<void> {}

  /** The scopes a user may be granted: the `scopes` column, plus `superuser` for superusers. */
  getScopes(user: U): string[] | Promise<string[]> {
    const scopes = new Set(user.scopes ?? []);
    if (user.isSuperuser) scopes.add(SUPERUSER_SCOPE);
    return [...scopes];
  }

  // ---- reads --------------------------------------------------------------------------------

  /** The user with this id, or null (also for an id that is not a well-formed uuid). */
  get(id: string): Promise<U | null> {
    return this.context.store.findById(id);
  }

  /** The user with this email (compared case-insensitively), or null. */
  getByEmail(email: string): Promise<U | null> {
    return this.context.store.findByEmail(normaliseEmail(email));
  }

  // ---- writes -------------------------------------------------------------------------------

  /** Runs the default policy, then the `validatePassword` hook. Throws `InvalidPasswordError`. */
  async checkPassword(password: string, user: Partial<U>): Promise<void> {
    checkPasswordPolicy(password, user.email);
    await this.validatePassword(password, user);
  }

  /**
   * Creates a user. Throws `UserAlreadyExistsError` (also under a concurrent duplicate: the
   * database's unique index decides) or `InvalidPasswordError`. Calls `onAfterRegister`.
   */
  async create(data: UserCreate<U>, options: OperationOptions = {}): Promise<U> {
    const { password, ...rest } = data as UserCreate<U> & Record<string, unknown>;
    const fields = acceptedFields(rest, options.safe !== false);
    if (typeof fields.email !== 'string') throw new TypeError('UserManager.create: email is required.');
    fields.email = normaliseEmail(fields.email);

    await this.checkPassword(password, fields as Partial<U>);
    // A friendly early answer; the unique index still decides between concurrent registrations.
    if (await this.context.store.findByEmail(fields.email as string)) throw new UserAlreadyExistsError();
    fields.hashedPassword = await this.context.hasher.hash(password);
    const user = await this.context.store.create(fields as Partial<U>);
    await this.after('onAfterRegister', () => this.onAfterRegister(user, options.request));
    return user;
  }

  /**
   * Creates a user who has no usable password (social sign-up): password login fails for it
   * until a password reset sets one. Calls no hook: the social login runs `onAfterRegister` and
   * `onAfterOAuthRegister` once the provider account is linked (`runOAuthRegisterHooks`).
   * Throws `UserAlreadyExistsError`.
   */
  async createWithoutPassword(data: Partial<Omit<U, 'hashedPassword'>> & { email: string }, options: Pick<OperationOptions, 'safe'> = {}): Promise<U> {
    const fields = acceptedFields(data, options.safe !== false);
    if (typeof fields.email !== 'string') throw new TypeError('UserManager.createWithoutPassword: email is required.');
    fields.email = normaliseEmail(fields.email);
    if (await this.context.store.findByEmail(fields.email as string)) throw new UserAlreadyExistsError();
    fields.hashedPassword = unusablePasswordHash();
    return this.context.store.create(fields as Partial<U>);
  }

  /** Deletes a user no hook has heard of yet (a social sign-up whose account link failed). */
  async discardUnannounced(user: U): Promise<void> {
    await this.context.store.delete(user);
  }

  /** `onAfterRegister` then `onAfterOAuthRegister`, for a user a social login created. */
  async runOAuthRegisterHooks(user: U, account: OAuthAccount, request?: unknown): Promise<void> {
    await this.after('onAfterRegister', () => this.onAfterRegister(user, request));
    await this.after('onAfterOAuthRegister', () => this.onAfterOAuthRegister(user, account, request));
  }

  /**
   * Hands an account whose email nobody has proven to whoever a provider just verified that email
   * for (`associateByEmail`): whoever made the account may not own the address, so first its
   * password becomes unusable, its provider links made without proof of the email go, and every
   * session and token of it ends; then it is marked verified. Returns the user as it now is.
   */
  async claimForVerifiedEmail(user: U, providerName: string, request?: unknown): Promise<U> {
    const removed = await this.unlinkUnverified(user, 'email_claimed');
    const hashedPassword = unusablePasswordHash();
    await this.context.store.update(user, { hashedPassword } as Partial<U>);
    user.hashedPassword = hashedPassword;
    await this.context.revokeAllTokens(user.id);
    // Verified last: a failure before leaves the account unverified, so the next sign-in claims it again.
    const claimed = await this.context.store.update(user, { isVerified: true } as Partial<U>);
    this.context.events?.publish({ type: 'oauth.account_claimed', userId: user.id, provider: providerName });
    await this.afterUnlinked(claimed, removed, 'email_claimed', request);
    return claimed;
  }

  /** `onAfterOAuthLogin`, for every social login. */
  async runOAuthLoginHooks(user: U, account: OAuthAccount, request?: unknown): Promise<void> {
    await this.after('onAfterOAuthLogin', () => this.onAfterOAuthLogin(user, account, request));
  }

  /**
   * The user with this email and password, or null. Unknown emails cost one password
   * verification too, so timing does not tell which emails have accounts. A legacy (bcrypt)
   * or outdated hash is replaced by a fresh argon2id hash.
   */
  async authenticate(email: string, password: string): Promise<U | null> {
    const user = await this.context.store.findByEmail(normaliseEmail(email));
    if (!user) {
      await this.context.hasher.burn(password);
      return null;
    }
    if (isUnusablePasswordHash(user.hashedPassword)) {
      // A social-login account: no password matches, and it answers as slowly as a wrong one.
      await this.context.hasher.burn(password);
      return null;
    }
    const { valid, needsRehash } = await this.context.hasher.verify(password, user.hashedPassword);
    if (!valid) return null;
    if (needsRehash) {
      const upgraded = await this.context.hasher.hash(password);
      if (await this.context.store.replacePasswordHash(user.id, user.hashedPassword, upgraded)) user.hashedPassword = upgraded;
    }
    return user;
  }

  /** False for an account without a password of its own (made by a social sign-in, never reset). */
  hasUsablePassword(user: U): boolean {
    return !isUnusablePasswordHash(user.hashedPassword);
  }

  /**
   * True when `password` is the user's current password (re-authentication before a sensitive
   * change). An account without a usable password costs a verification too, and answers false.
   */
  async verifyPassword(user: U, password: string): Promise<boolean> {
    if (isUnusablePasswordHash(user.hashedPassword)) {
      await this.context.hasher.burn(password);
      return false;
    }
    return (await this.context.hasher.verify(password, user.hashedPassword)).valid;
  }

  /**
   * Updates a user. A new email is normalised, checked for uniqueness and resets `isVerified`
   * (unless trusted code sets it in the same update); a new password is validated and hashed.
   * Every token of the user is revoked (where the strategy can) when the password changes, when
   * the user is deactivated, and when privileges shrink (`isSuperuser` or a scope removed), so
   * no token outlives the rights it was issued for.
   */
  async update(user: U, update: UserUpdate<U>, options: OperationOptions = {}): Promise<U> {
    const safe = options.safe !== false;
    const { password, ...rest } = update as UserUpdate<U> & Record<string, unknown>;
    const fields = acceptedFields(rest, safe);
    delete fields.id; // never, even for trusted code: the id is the user's identity
    if (fields.email !== undefined) {
      if (typeof fields.email !== 'string') throw new TypeError('UserManager.update: email must be a string.');
      fields.email = normaliseEmail(fields.email);
    }
    const changes = { ...fields } as UserChanges<U>;

    if (fields.email === user.email) delete fields.email;
    else if (fields.email !== undefined) {
      const owner = await this.context.store.findByEmail(fields.email as string);
      if (owner && owner.id !== user.id) throw new UserAlreadyExistsError();
      // The new address is unproven; verify tokens mailed to the old one die with it.
      if (fields.isVerified === undefined) fields.isVerified = false;
    }
    if (password !== undefined) {
      await this.checkPassword(password, { ...user, ...fields });
      fields.hashedPassword = await this.context.hasher.hash(password);
      changes.passwordChanged = true;
    }

    const revokeAll = (fields.isActive === false && user.isActive) || privilegesShrink(user, fields);
    const revoke = password !== undefined || revokeAll;
    const updated = Object.keys(fields).length > 0 ? await this.context.store.update(user, fields as Partial<U>) : user;
    // After the write, so no token issued under the old password or rights can survive it.
    if (revoke) {
      const keep = revokeAll ? undefined : options.currentSessionId;
      await this.context.revokeAllTokens(user.id, keep === undefined ? undefined : { exceptSessionId: keep });
    }
    await this.after('onAfterUpdate', () => this.onAfterUpdate(updated, changes, options.request));
    return updated;
  }

  /**
   * Deletes a user and every token of theirs. `onBeforeDelete` may throw to stop it: nothing is
   * then deleted or revoked. Tokens are revoked first (idempotent, so a failure there leaves the
   * user in place and the call can simply be retried).
   */
  async delete(user: U, options: Pick<OperationOptions, 'request'> = {}): Promise<void> {
    await this.onBeforeDelete(user, options.request);
    await this.context.revokeAllTokens(user.id);
    await this.context.store.delete(user);
    await this.after('onAfterDelete', () => this.onAfterDelete(user, options.request));
  }

  // ---- verification and reset --------------------------------------------------------------

  /**
   * Issues a verify token for an active, unverified user and hands it to `onAfterRequestVerify`.
   * Returns null (and calls no hook) for an inactive or already verified user.
   */
  async requestVerify(user: U, request?: unknown): Promise<string | null> {
    if (!user.isActive || user.isVerified) return null;
    const token = this.context.tokens.issueVerifyToken(user);
    await this.after('onAfterRequestVerify', () => this.onAfterRequestVerify(user, token, request));
    return token;
  }

  /** Marks the token's user verified. Throws `InvalidVerifyTokenError` / `UserAlreadyVerifiedError`. */
  async verify(token: string, request?: unknown): Promise<U> {
    const bad = () => new InvalidVerifyTokenError();
    const claims = this.context.tokens.readVerifyToken(token);
    if (!claims) throw bad();
    const user = await this.context.store.findById(claims.userId);
    // The token names the address it was mailed to: once the email changes, it proves nothing.
    if (!user || !user.isActive || user.email !== claims.email) throw bad();
    if (user.isVerified) throw new UserAlreadyVerifiedError();
    // The owner of the address is here: links made without proof of it, and what they opened, end.
    const removed = await this.unlinkUnverified(user, 'email_verified');
    if (removed.length > 0) await this.context.revokeAllTokens(user.id);
    const verified = await this.context.store.update(user, { isVerified: true } as Partial<U>);
    await this.after('onAfterVerify', () => this.onAfterVerify(verified, request));
    await this.afterUnlinked(verified, removed, 'email_verified', request);
    return verified;
  }

  /**
   * Issues a reset token for an active user and hands it to `onAfterForgotPassword`.
   * Returns null (and calls no hook) for an inactive user.
   */
  async forgotPassword(user: U, request?: unknown): Promise<string | null> {
    if (!user.isActive) return null;
    const token = this.context.tokens.issueResetToken(user);
    await this.after('onAfterForgotPassword', () => this.onAfterForgotPassword(user, token, request));
    return token;
  }

  /**
   * Sets a new password from a reset token. The token is single-use: it is bound to the
   * password hash it was issued for, and the hash is swapped with compare-and-set, so of two
   * concurrent uses exactly one succeeds. Every token of the user is destroyed afterwards.
   * Throws `InvalidResetTokenError`, or `InvalidPasswordError` when the policy refuses the password.
   */
  async resetPassword(token: string, password: string, request?: unknown): Promise<U> {
    const bad = () => new InvalidResetTokenError();
    const claims = this.context.tokens.readResetToken(token);
    if (!claims) throw bad();
    const user = await this.context.store.findById(claims.userId);
    if (!user || !user.isActive || !this.context.tokens.fingerprintMatches(claims.passwordFingerprint, user.hashedPassword)) throw bad();
    await this.checkPassword(password, user);
    const newHash = await this.context.hasher.hash(password);
    if (!(await this.context.store.replacePasswordHash(user.id, user.hashedPassword, newHash))) throw bad();
    user.hashedPassword = newHash;
    // Before the tokens end, so a session opened through such a link meanwhile ends with them.
    const removed = await this.unlinkUnverified(user, 'password_reset');
    await this.context.revokeAllTokens(user.id);
    this.context.events?.publish({ type: 'password.reset', userId: user.id });
    await this.after('onAfterResetPassword', () => this.onAfterResetPassword(user, request));
    await this.afterUnlinked(user, removed, 'password_reset', request);
    return user;
  }

  /** Runs `onAfterLogin` as an after-hook (its failure is reported as `USER_HOOK_FAILED`). */
  async notifyLogin(user: U, request?: unknown, response?: unknown): Promise<void> {
    await this.after('onAfterLogin', () => this.onAfterLogin(user, request, response));
  }

  /** Runs `onAfterRefresh` as an after-hook (its failure is reported as `USER_HOOK_FAILED`). */
  async notifyRefresh(user: U, session: SessionInfo, request?: unknown): Promise<void> {
    await this.after('onAfterRefresh', () => this.onAfterRefresh(user, session, request));
  }

  /** Runs `onAfterSessionRevoked` as an after-hook. */
  async notifySessionRevoked(user: U, session: SessionInfo, request?: unknown): Promise<void> {
    await this.after('onAfterSessionRevoked', () => this.onAfterSessionRevoked(user, session, request));
  }

  /** Removes the user's provider links made without proof of the email, publishing `oauth.unlinked`. */
  private async unlinkUnverified(user: U, reason: OAuthUnlinkReason): Promise<OAuthAccount[]> {
    const removed = (await this.context.unlinkUnverifiedOAuthAccounts?.(user.id)) ?? [];
    if (removed.length > 0) {
      const links = removed.map((account) => ({ provider: account.providerName, accountId: account.accountId }));
      this.context.events?.publish({ type: 'oauth.unlinked', userId: user.id, reason, links });
    }
    return removed;
  }

  private async afterUnlinked(user: U, removed: OAuthAccount[], reason: OAuthUnlinkReason, request: unknown): Promise<void> {
    if (removed.length > 0) await this.after('onAfterOAuthUnlinked', () => this.onAfterOAuthUnlinked(user, removed, reason, request));
  }

  /** Runs an after-hook: the change is saved already, so its failure is reported, not undone. */
  private async after(hook: AfterHook, run: () => void | Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      // A nested hook (onAfterRegister calling requestVerify) already says which hook failed.
      if (error instanceof UserHookError) throw error;
      const failure = new UserHookError(hook, error);
      // Reported here, once, whatever the framework does with the error (Koa's driver logs nothing).
      if (this.context.reportFailure) this.context.reportFailure(failure, `the ${hook} hook`);
      else console.error(`routing-controllers-auth: ${failure.stack}`);
      throw failure;
    }
  }
}

/** The input minus the password hash (never given directly) and, in safe mode, protected columns. */
function acceptedFields(input: Record<string, unknown>, safe: boolean): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    // undefined means "not given" (a DTO may declare fields the caller left out).
    if (value === undefined || key === 'hashedPassword') continue;
    if (safe && (PROTECTED_USER_FIELDS as readonly string[]).includes(key)) continue;
    fields[key] = value;
  }
  return fields;
}

/** True when the update takes away superuser status or any scope the user holds. */
function privilegesShrink(user: BaseUser, fields: Record<string, unknown>): boolean {
  if (fields.isSuperuser === false && user.isSuperuser) return true;
  const scopes = fields.scopes;
  return Array.isArray(scopes) && (user.scopes ?? []).some((scope) => !scopes.includes(scope));
}
