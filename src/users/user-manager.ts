import { BadRequestError, ErrorCode, InvalidPasswordError, UserAlreadyExistsError } from '../errors';
import type { BaseUser } from '../entities/base-user';
import { normaliseEmail } from './emails';
import type { PasswordHasher } from './password';
import { checkPasswordPolicy } from './password-policy';
import { SUPERUSER_SCOPE } from './scopes';
import type { UserStore } from './user-store';
import type { UserTokens } from './user-tokens';

/** Fields a caller gives to create a user; the app's own columns come along. */
export type UserCreate<U extends BaseUser> = Partial<Omit<U, 'hashedPassword'>> & { email: string; password: string };
/** Fields a caller gives to update a user; `password` is hashed, never stored as given. */
export type UserUpdate<U extends BaseUser> = Partial<Omit<U, 'hashedPassword' | 'id'>> & { password?: string };

/** Columns only trusted code may set; `safe` operations (the default) drop them. */
export const PROTECTED_USER_FIELDS = ['id', 'hashedPassword', 'isActive', 'isSuperuser', 'isVerified', 'scopes'] as const;

export interface OperationOptions {
  /** Default true: drop `id`, `isActive`, `isSuperuser`, `isVerified`, `scopes` from the input. */
  safe?: boolean;
  /** The framework's request, handed to hooks. */
  request?: unknown;
}

/** What `Auth.configure` hands a UserManager. */
export interface UserManagerContext<U extends BaseUser> {
  store: UserStore<U>;
  hasher: PasswordHasher;
  tokens: UserTokens;
  /** Destroys every token of the user in every backend that can (logout everywhere). */
  revokeAllTokens(userId: string): Promise<void>;
  /** Drops the user from any per-process cache, so a change is seen at once. */
  forgetUser(userId: string): void;
}

/**
 * Users: creation, authentication, updates, verification and password reset, with hooks.
 * Subclass it and override the `on…` hooks (all optional, all may be async), then pass the
 * class as `Auth.configure({ userManager: MyUserManager })`.
 */
export class UserManager<U extends BaseUser = BaseUser> {
  constructor(protected readonly context: UserManagerContext<U>) {}

  // ---- hooks --------------------------------------------------------------------------------

  /** Throw `InvalidPasswordError(reason)` to refuse a password (runs after the default policy). */
  validatePassword(_password: string, _user: Partial<U>): void | Promise<void> {}
  onAfterRegister(_user: U, _request?: unknown): void | Promise<void> {}
  onAfterUpdate(_user: U, _update: UserUpdate<U>, _request?: unknown): void | Promise<void> {}
  onAfterRequestVerify(_user: U, _token: string, _request?: unknown): void | Promise<void> {}
  onAfterVerify(_user: U, _request?: unknown): void | Promise<void> {}
  onAfterForgotPassword(_user: U, _token: string, _request?: unknown): void | Promise<void> {}
  onAfterResetPassword(_user: U, _request?: unknown): void | Promise<void> {}
  onAfterLogin(_user: U, _request?: unknown, _response?: unknown): void | Promise<void> {}
  onBeforeDelete(_user: U, _request?: unknown): void | Promise<void> {}
  onAfterDelete(_user: U, _request?: unknown): void | Promise<void> {}

  /** The scopes a user may be granted: the `scopes` column, plus `superuser` for superusers. */
  getScopes(user: U): string[] | Promise<string[]> {
    const scopes = new Set(user.scopes ?? []);
    if (user.isSuperuser) scopes.add(SUPERUSER_SCOPE);
    return [...scopes];
  }

  // ---- reads --------------------------------------------------------------------------------

  get(id: string): Promise<U | null> {
    return this.context.store.findById(id);
  }

  getByEmail(email: string): Promise<U | null> {
    return this.context.store.findByEmail(normaliseEmail(email));
  }

  // ---- writes -------------------------------------------------------------------------------

  /** Runs the default policy, then the `validatePassword` hook. */
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
    const fields: Record<string, unknown> = { ...rest };
    delete fields.hashedPassword;
    if (options.safe !== false) for (const key of PROTECTED_USER_FIELDS) delete fields[key];
    if (typeof fields.email !== 'string') throw new TypeError('UserManager.create: email is required.');
    fields.email = normaliseEmail(fields.email);

    await this.checkPassword(password, fields as Partial<U>);
    if (await this.context.store.findByEmail(fields.email as string)) throw new UserAlreadyExistsError();
    fields.hashedPassword = await this.context.hasher.hash(password);
    const user = await this.context.store.create(fields as Partial<U>);
    await this.onAfterRegister(user, options.request);
    return user;
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
    const { valid, needsRehash } = await this.context.hasher.verify(password, user.hashedPassword);
    if (!valid) return null;
    if (needsRehash) {
      const upgraded = await this.context.hasher.hash(password);
      if (await this.context.store.replacePasswordHash(user.id, user.hashedPassword, upgraded)) user.hashedPassword = upgraded;
    }
    return user;
  }

  /**
   * Updates a user. A new email is normalised, checked for uniqueness and resets `isVerified`;
   * a new password is validated and hashed. Deactivating a user or changing the password
   * destroys the user's tokens where the strategy can.
   */
  async update(user: U, update: UserUpdate<U>, options: OperationOptions = {}): Promise<U> {
    const { password, ...rest } = update as UserUpdate<U> & Record<string, unknown>;
    const fields: Record<string, unknown> = { ...rest };
    delete fields.hashedPassword;
    delete fields.id;
    if (options.safe !== false) for (const key of PROTECTED_USER_FIELDS) delete fields[key];

    if (typeof fields.email === 'string') {
      fields.email = normaliseEmail(fields.email);
      if (fields.email === user.email) delete fields.email;
      else {
        const owner = await this.context.store.findByEmail(fields.email as string);
        if (owner && owner.id !== user.id) throw new UserAlreadyExistsError();
        if (fields.isVerified === undefined || options.safe !== false) fields.isVerified = false;
      }
    }
    if (password !== undefined) {
      await this.checkPassword(password, { ...user, ...fields } as Partial<U>);
      fields.hashedPassword = await this.context.hasher.hash(password);
    }
    const updated = Object.keys(fields).length > 0 ? await this.context.store.update(user, fields as Partial<U>) : user;
    this.context.forgetUser(user.id);
    if (password !== undefined || fields.isActive === false) await this.context.revokeAllTokens(user.id);
    await this.onAfterUpdate(updated, update, options.request);
    return updated;
  }

  /** Deletes a user and every token of theirs. `onBeforeDelete` may throw to stop it. */
  async delete(user: U, options: Pick<OperationOptions, 'request'> = {}): Promise<void> {
    await this.onBeforeDelete(user, options.request);
    await this.context.revokeAllTokens(user.id);
    await this.context.store.delete(user);
    this.context.forgetUser(user.id);
    await this.onAfterDelete(user, options.request);
  }

  // ---- verification and reset --------------------------------------------------------------

  /** Issues a verify token for an active, unverified user and hands it to `onAfterRequestVerify`. */
  async requestVerify(user: U, request?: unknown): Promise<string | null> {
    if (!user.isActive || user.isVerified) return null;
    const token = this.context.tokens.issueVerifyToken(user);
    await this.onAfterRequestVerify(user, token, request);
    return token;
  }

  /** Marks the token's user verified. Throws 400 `VERIFY_USER_BAD_TOKEN` / `VERIFY_USER_ALREADY_VERIFIED`. */
  async verify(token: string, request?: unknown): Promise<U> {
    const claims = this.context.tokens.readVerifyToken(token);
    const bad = () => new BadRequestError(ErrorCode.VERIFY_USER_BAD_TOKEN, 'The verification token is invalid or expired.');
    if (!claims) throw bad();
    const user = await this.context.store.findById(claims.userId);
    if (!user || !user.isActive || user.email !== claims.email) throw bad();
    if (user.isVerified) throw new BadRequestError(ErrorCode.VERIFY_USER_ALREADY_VERIFIED, 'This user is already verified.');
    const verified = await this.context.store.update(user, { isVerified: true } as Partial<U>);
    this.context.forgetUser(user.id);
    await this.onAfterVerify(verified, request);
    return verified;
  }

  /** Issues a reset token for an active user and hands it to `onAfterForgotPassword`. */
  async forgotPassword(user: U, request?: unknown): Promise<string | null> {
    if (!user.isActive) return null;
    const token = this.context.tokens.issueResetToken(user);
    await this.onAfterForgotPassword(user, token, request);
    return token;
  }

  /**
   * Sets a new password from a reset token. The token is single-use: it is bound to the
   * password hash it was issued for, and the hash is swapped with compare-and-set, so of two
   * concurrent uses exactly one succeeds. Every token of the user is destroyed afterwards.
   */
  async resetPassword(token: string, password: string, request?: unknown): Promise<U> {
    const bad = () => new BadRequestError(ErrorCode.RESET_PASSWORD_BAD_TOKEN, 'The reset token is invalid, expired or already used.');
    const claims = this.context.tokens.readResetToken(token);
    if (!claims) throw bad();
    const user = await this.context.store.findById(claims.userId);
    if (!user || !user.isActive || !this.context.tokens.fingerprintMatches(claims.passwordFingerprint, user.hashedPassword)) throw bad();
    try {
      await this.checkPassword(password, user);
    } catch (error) {
      if (error instanceof InvalidPasswordError) {
        throw new BadRequestError(ErrorCode.RESET_PASSWORD_INVALID_PASSWORD, error.reason);
      }
      throw error;
    }
    const newHash = await this.context.hasher.hash(password);
    if (!(await this.context.store.replacePasswordHash(user.id, user.hashedPassword, newHash))) throw bad();
    user.hashedPassword = newHash;
    this.context.forgetUser(user.id);
    await this.context.revokeAllTokens(user.id);
    await this.onAfterResetPassword(user, request);
    return user;
  }
}
