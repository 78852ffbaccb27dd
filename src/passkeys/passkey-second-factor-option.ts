import type { BaseUser } from '../entities/base-user';
import type { TwoFactorOptions } from '../two-factor/two-factor-options';
import type { Passkeys } from './passkeys';
import { WebAuthnSecondFactor } from './webauthn-second-factor';

/**
 * The `twoFactor` options with passkeys as a second factor: an app that configures both offers
 * `webauthn` at `POST /2fa/verify` without wiring it, unless it lists a `webauthn` method of its own
 * (or turns it off with `twoFactor.passkeys: false`).
 */
export function withPasskeySecondFactor<U extends BaseUser>(
  options: TwoFactorOptions<U> | undefined,
  passkeys: Passkeys | undefined,
): TwoFactorOptions<U> | undefined {
  if (!options || !passkeys || options.passkeys === false) return options;
  if (options.methods?.some((method) => method.name === 'webauthn')) return options;
  return { ...options, methods: [...(options.methods ?? []), new WebAuthnSecondFactor<U>(passkeys)] };
}
