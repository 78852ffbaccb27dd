import type { BaseUser } from '../entities/base-user';
import type { PendingLoginStore } from './pending-logins';
import type { SecondFactorMethod } from './second-factor';

/**
 * `Auth.configure({ twoFactor })`: second factors at login. With it, a user who has a second factor
 * (TOTP, recovery codes, the app's own methods) finishes a password or provider login only at
 * `POST /2fa/verify` (see docs/two-factor.md). Needs the `TwoFactorSecret` and `RecoveryCode`
 * entities in the DataSource.
 */
export interface TwoFactorOptions<U extends BaseUser = BaseUser> {
  /** The name authenticator apps show above the code, e.g. your product's name. */
  issuer: string;
  /**
   * Users who must have a second factor: `true` for everyone, or a function of the user (e.g.
   * `(user) => user.isSuperuser`). Such a user without one gets `mfa_enrolment_required` at login,
   * with a token that reaches only the TOTP enrolment routes. Default false.
   */
  required?: boolean | ((user: U) => boolean | Promise<boolean>);
  /** More methods besides the built-in `totp` and `recovery_code`. */
  methods?: SecondFactorMethod<U>[];
  /**
   * With `Auth.configure({ passkeys })` as well, a user's passkeys are a second factor (`webauthn`)
   * unless this is `false`. Default true.
   */
  passkeys?: boolean;
  /** Where logins wait for their second factor (5 minutes). Default: memory; give a `RedisPendingLoginStore` for several instances. */
  store?: PendingLoginStore;
  /**
   * The key material TOTP secrets are sealed with at rest (AES-256-GCM, key by HKDF). Default: the
   * app's `secret`. Changing it makes the stored secrets unreadable: give it to rotate `secret`
   * without making every user enrol again.
   */
  encryptionSecret?: string;
}
