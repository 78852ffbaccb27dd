import type { Action } from 'routing-controllers';
import type { DataSource, EntityTarget } from 'typeorm';
import type { BaseUser } from '../entities/base-user';
import type { AuthenticationBackend } from '../backend';
import type { OAuthAccountStore } from '../oauth/account-store';
import type { PasskeyOptions } from '../passkeys/passkey-options';
import type { AuthEvent } from '../security/events';
import type { RateLimitOptions } from '../security/rate-limits';
import type { PasswordHasher } from '../users/password';
import type { UserManager, UserManagerContext } from '../users/user-manager';
import type { UserStore } from '../users/user-store';
import type { TwoFactorOptions } from '../two-factor/two-factor-options';

export interface AuthOptions<U extends BaseUser> {
  /** Holds the users (and `AccessToken`s for the database strategy). Optional with a custom `userStore`. */
  dataSource?: DataSource;
  /** The app's user entity, a subclass of `BaseUser`. Optional with a custom `userStore`. */
  userEntity?: EntityTarget<U>;
  /** At least 32 bytes; signs reset and verify tokens. */
  secret: string;
  /** Tried in order for every request; the first that yields an active user wins. */
  backends: AuthenticationBackend[];
  /** A `UserManager` subclass with the app's hooks. */
  userManager?: new (context: UserManagerContext<U>) => UserManager<U>;
  /** Where users are loaded from; default: TypeORM through `dataSource` and `userEntity`. */
  userStore?: UserStore<U>;
  /** Refuse login to unverified users (`LOGIN_USER_NOT_VERIFIED`). Default false. */
  requireVerification?: boolean;
  /**
   * `POST /register` answers 202 alike for new and existing emails (the account is created, or
   * `UserManager.onRegisterExistingEmail` called, after the response), so registration cannot be
   * used to learn which emails have accounts. Default false: 201 with the user, 400 when taken.
   */
  enumerationSafeRegistration?: boolean;
  /** Return an error to throw instead of the 401 (e.g. a redirect for browsers); nothing keeps the 401. */
  onUnauthenticated?: (action: Action) => Error | undefined | void;
  passwordHasher?: PasswordHasher;
  /** Default 3600. */
  verifyTokenLifetimeSeconds?: number;
  /** Default 3600. */
  resetTokenLifetimeSeconds?: number;
  /**
   * Attempt limits for login, register, verify and reset routes, per client IP and per account
   * (memory by default; give a Redis client for several instances). `false` turns them off.
   */
  rateLimits?: RateLimitOptions | false;
  /** Called with every auth event (also available as `auth.events`). Never given tokens or passwords. */
  onEvent?: (event: AuthEvent) => void;
  /**
   * The app's scopes with their descriptions, e.g. `{ 'items:write': 'Create and change items' }`.
   * They appear in the OpenAPI document (`auth.openApi()`), where Swagger UI's "Authorize" offers
   * them; a route asking for an undeclared scope is reported when the document is built.
   * `superuser` is the library's and always declared.
   */
  scopes?: Record<string, string>;
  /**
   * How recent a sign-in proves the user is at the keyboard, for an account without a usable
   * password (social sign-in only) changing its email or password. Default 300 s (5 minutes).
   */
  recentSignInMaxAgeSeconds?: number;
  /**
   * Where social login keeps its provider-account links (every store, when controllers use
   * several). Email verification and password reset remove from them the links made without
   * proof of the email. Default: the `OAuthAccount` entity in `dataSource`, when registered there.
   */
  oauthAccounts?: OAuthAccountStore | OAuthAccountStore[];
  /**
   * Second factors (TOTP with recovery codes, and methods of the app's own): a user who has one
   * finishes a password or provider login only at `POST /2fa/verify` (`TwoFactorController`).
   * Needs the `TwoFactorSecret` and `RecoveryCode` entities in `dataSource`. Default: off.
   */
  twoFactor?: TwoFactorOptions<U>;
  /**
   * Passkeys (WebAuthn): passwordless sign-in (`PasskeyController`) and a second factor
   * (`WebAuthnSecondFactor`). `rpID` and `origins` are checked on every response. Default: off.
   */
  passkeys?: PasskeyOptions;
}

/** Options of `auth.ready()`. */
export interface ReadyOptions {
  /**
   * The controllers the app gives routing-controllers; those built on the library's controllers
   * (`OAuthController`) are checked for what they need. Default: every controller class
   * routing-controllers knows of, as for `auth.openApi()`; give the list when one process holds
   * several apps.
   */
  controllers?: Function[];
}
