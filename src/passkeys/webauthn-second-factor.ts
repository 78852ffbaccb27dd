import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { BaseUser } from '../entities/base-user';
import { AuthConfigurationError, ErrorCode, PasskeyInvalidError } from '../errors';
import type { JsonObject } from '../openapi/document-types';
import type { HttpExchange } from '../http/request';
import type { SecondFactorMethod } from '../two-factor/second-factor';
import type { Passkeys } from './passkeys';

/**
 * A passkey as second factor (`webauthn`, proven in the `webauthn` field of `POST /2fa/verify`):
 * enrolled when the user has a passkey; `begin` hands out request options listing the user's
 * passkeys with a fresh challenge bound to the user; `verify` checks the assertion against that
 * challenge (once), the user's own credential, the origin, the RP ID and the sign counter, and
 * answers `amr` `['hwk']` (or `['swk']` for a synced passkey). User verification is preferred,
 * not required: the password was the first factor, possession of the key is the second.
 *
 * ```ts
 * const webauthn = new WebAuthnSecondFactor(auth.context.passkeys!);
 * ```
 */
export class WebAuthnSecondFactor<U extends BaseUser = BaseUser> implements SecondFactorMethod<U> {
  readonly name = 'webauthn';
  readonly field = 'webauthn';
  readonly errorCodes = [ErrorCode.PASSKEY_INVALID];
  readonly proofSchema: JsonObject = {
    type: 'object',
    description: 'the `AuthenticationResponseJSON` of `navigator.credentials.get()` with the `webauthn` options of the `mfa_required` answer.',
  };

  /** @param passkeys the app's ceremonies (`auth.context.passkeys`), or a function answering them when they are made later. */
  constructor(private readonly passkeys: Passkeys | (() => Passkeys | undefined)) {}

  private get ceremonies(): Passkeys {
    const passkeys = typeof this.passkeys === 'function' ? this.passkeys() : this.passkeys;
    if (!passkeys) throw new AuthConfigurationError('WebAuthnSecondFactor needs Auth.configure({ passkeys: { rpID, rpName, origins } }).');
    return passkeys;
  }

  isEnrolled(user: U): Promise<boolean> {
    return this.ceremonies.store.hasAny(user.id);
  }

  /** `PublicKeyCredentialRequestOptionsJSON` for `navigator.credentials.get()`, with the user's passkeys as `allowCredentials`. */
  begin(user: U, _exchange?: HttpExchange): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.ceremonies.secondFactorOptions(user);
  }

  /** Checks the `AuthenticationResponseJSON`; 400 `PASSKEY_INVALID` when it does not verify. */
  async verify(user: U, proof: unknown, _exchange?: HttpExchange): Promise<{ amr: string[] }> {
    if (typeof proof !== 'object' || proof === null || Array.isArray(proof))
      throw new PasskeyInvalidError('`webauthn` must be the AuthenticationResponseJSON.');
    const { keyAmr } = await this.ceremonies.verifyAssertion(proof, { purpose: 'second_factor', userId: user.id });
    return { amr: [keyAmr] };
  }
}
