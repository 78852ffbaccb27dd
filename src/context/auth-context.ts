import type { DataSource } from 'typeorm';
import type { AuthenticationBackend } from '../backend';
import type { BaseUser } from '../entities/base-user';
import type { PluginContext } from '../lifecycle';
import type { OAuthAccountStores } from '../oauth/account-stores';
import type { Passkeys } from '../passkeys/passkeys';
import type { UnauthenticatedHandler } from '../requests/challenges';
import type { AuthEvents } from '../security/events';
import type { RateLimits } from '../security/rate-limits';
import type { Sessions } from '../sessions/sessions';
import type { PasswordHasher } from '../users/password';
import type { UserManager } from '../users/user-manager';
import type { UserStore } from '../users/user-store';
import type { UserTokens } from '../users/user-tokens';
import type { TwoFactorSection } from '../two-factor/two-factor-section';
import type { AppFailures } from './app-failures';

/** Users: where they live, how they are managed, and who may log in. */
export interface UsersSection<U extends BaseUser> {
  readonly store: UserStore<U>;
  readonly manager: UserManager<U>;
  readonly hasher: PasswordHasher;
  /** Refuse login to unverified users (`LOGIN_USER_NOT_VERIFIED`). */
  readonly requireVerification: boolean;
  /** `POST /register` answers 202 alike for new and existing emails. */
  readonly enumerationSafeRegistration: boolean;
}

/** The emailed single-purpose tokens (verify, reset), signed with the app's `secret`. */
export interface TokensSection {
  readonly userTokens: UserTokens;
  readonly verifyLifetimeSeconds: number;
  readonly resetLifetimeSeconds: number;
}

/** The backends, tried in order for every request. */
export interface BackendsSection {
  readonly list: readonly AuthenticationBackend[];
  /** The backend of this name; throws `AuthConfigurationError` when there is none. */
  named(name: string): AuthenticationBackend;
}

/** Step-up: how recent a sign-in must be where one is asked for. */
export interface StepUpSection {
  /** Seconds a sign-in stands in for the current password (accounts without one). */
  readonly recentSignInMaxAgeSeconds: number;
}

/** What the request layer needs beyond the backends. */
export interface RequestsSection {
  /** The app's error to throw instead of a 401, if it gave one. */
  readonly onUnauthenticated: UnauthenticatedHandler | undefined;
}

/**
 * One configured app, resolved once from `Auth.configure`'s options (defaults applied, everything
 * validated) and frozen: its sections are read-only, and what they hold is either frozen plain data
 * or one of the app's own services (`sessions`, `events`, the user manager, …). The request layer and
 * the login / refresh / logout / social sign-in flows work on it; nothing in it is shared between apps.
 */
export interface AuthContext<U extends BaseUser = BaseUser> {
  readonly dataSource: DataSource | undefined;
  readonly users: UsersSection<U>;
  readonly tokens: TokensSection;
  readonly backends: BackendsSection;
  /** Sessions of the backends with refresh tokens. */
  readonly sessions: Sessions;
  /** Attempt limits; undefined with `rateLimits: false`. */
  readonly rateLimits: RateLimits | undefined;
  readonly events: AuthEvents;
  /** The declared scopes with their descriptions (`superuser` is implied). */
  readonly scopes: Readonly<Record<string, string>>;
  readonly stepUp: StepUpSection;
  /** The stores of social-login account links. */
  readonly oauthAccounts: OAuthAccountStores;
  /** This app's failure reporting and database outage log. */
  readonly failures: AppFailures;
  readonly requests: RequestsSection;
  /** What every pluggable piece of this app was handed at `init`. */
  readonly plugins: PluginContext;
  /** Second factors at login; undefined without `twoFactor`. */
  readonly twoFactor: TwoFactorSection<U> | undefined;
  /** The WebAuthn ceremonies and their stores; undefined without `Auth.configure({ passkeys })`. */
  readonly passkeys: Passkeys | undefined;
}
