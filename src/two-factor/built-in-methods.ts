import type { BaseUser } from '../entities/base-user';
import { MfaCodeInvalidError } from '../errors';
import type { AuthEvents } from '../security/events';
import type { RecoveryCodes } from './recovery-codes';
import type { SecondFactorMethod } from './second-factor';
import type { TotpAuthenticators } from './totp-authenticators';

/** The longest code field read: anything longer is no code of ours (and never reaches a hash). */
const MAX_CODE_LENGTH = 64;

function codeOf(proof: unknown): string {
  if (typeof proof !== 'string' || proof.length === 0 || proof.length > MAX_CODE_LENGTH) throw new MfaCodeInvalidError('The code must be a string of digits.');
  return proof;
}

/** `totp`: a 6-digit code of the user's authenticator app, in `code`; `amr` `otp`. */
export function totpMethod<U extends BaseUser>(authenticators: TotpAuthenticators): SecondFactorMethod<U> {
  return {
    name: 'totp',
    field: 'code',
    isEnrolled: (user) => authenticators.isEnabled(user.id),
    async verify(user, proof) {
      await authenticators.verify(user.id, codeOf(proof));
      return { amr: ['otp'] };
    },
  };
}

/**
 * `recovery_code`: one of the user's single-use recovery codes, in `recovery_code`. A recovery
 * code is a one-time secret the user holds (NIST's look-up secret): `amr` `otp`.
 */
export function recoveryCodeMethod<U extends BaseUser>(codes: RecoveryCodes, events: AuthEvents): SecondFactorMethod<U> {
  return {
    name: 'recovery_code',
    field: 'recovery_code',
    isEnrolled: async (user) => (await codes.remaining(user.id)) > 0,
    async verify(user, proof) {
      if (!(await codes.use(user.id, codeOf(proof)))) throw new MfaCodeInvalidError('The recovery code is wrong or was used already.');
      events.publish({ type: 'mfa.recovery_code_used', userId: user.id, remaining: await codes.remaining(user.id) });
      return { amr: ['otp'] };
    },
  };
}
