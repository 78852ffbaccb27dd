import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { decodeClientDataJSON, isoBase64URL, isoUint8Array } from '@simplewebauthn/server/helpers';
import type { Passkey } from '../entities/passkey';
import type { BaseUser } from '../entities/base-user';
import { PasskeyInvalidError } from '../errors';
import type { PluginContext } from '../lifecycle';
import type { AuthEvents, PasskeyRejectionReason } from '../security/events';
import { WEBAUTHN_CHALLENGE_LIFETIME_SECONDS, type WebAuthnChallengePurpose, type WebAuthnChallengeStore } from './challenge-store';
import type { PasskeySettings } from './passkey-options';
import type { PasskeyStore } from './passkey-store';

/** The longest base64url `clientDataJSON` looked into before verification (browsers send a few hundred bytes). */
const MAX_CLIENT_DATA_LENGTH = 8192;

/** What a verified assertion proves: whose passkey it was, and how it counts (RFC 8176 `amr`). */
export interface VerifiedAssertion {
  passkey: Passkey;
  /** `hwk` for a key bound to its authenticator, `swk` for one that may be synced (multi-device). */
  keyAmr: 'hwk' | 'swk';
  /** The authenticator verified the user (PIN, biometrics): UV was set. */
  userVerified: boolean;
}

/** What an assertion must match: the challenge's purpose and, for a second factor, the user. */
export interface AssertionExpectation {
  purpose: Exclude<WebAuthnChallengePurpose, 'registration'>;
  /** The user who must own the credential (a second factor); unset for a passwordless sign-in. */
  userId?: string;
  /** The client's address, for the `passkey.rejected` event. */
  ip?: string;
}

/**
 * The app's WebAuthn ceremonies (with @simplewebauthn/server): options with a fresh single-use
 * challenge kept server-side, and verification of what the authenticator answered against that
 * challenge, the configured RP ID and origins, the stored credential and its sign counter. Every
 * refusal is 400 `PASSKEY_INVALID`. Made by `Auth.configure({ passkeys })`; in `auth.context.passkeys`.
 */
export class Passkeys {
  readonly rpID: string;
  readonly rpName: string;
  readonly origins: readonly string[];
  private events: AuthEvents | undefined;

  constructor(
    settings: PasskeySettings,
    /** Where passkeys live. */
    readonly store: PasskeyStore,
    /** Where challenges wait for their response. */
    readonly challenges: WebAuthnChallengeStore,
  ) {
    this.rpID = settings.rpID;
    this.rpName = settings.rpName;
    this.origins = settings.origins;
  }

  /** Hands both stores the app's plugin context (once, at `Auth.configure`). */
  init(context: PluginContext): void {
    this.events = context.events;
    this.store.init?.(context);
    this.challenges.init?.(context);
  }

  /**
   * `PublicKeyCredentialCreationOptionsJSON` for a new passkey of `user`: discoverable (resident
   * key required, so it signs in without a username), user verification required (it is a whole
   * sign-in on its own), the user's passkeys excluded (no second registration of one authenticator).
   */
  async registrationOptions(user: BaseUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.store.listForUser(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.rpName,
      rpID: this.rpID,
      userName: user.email,
      userDisplayName: user.email,
      // The user handle the authenticator keeps and returns at sign-in: the id, no personal data.
      userID: isoUint8Array.fromUTF8String(user.id),
      timeout: WEBAUTHN_CHALLENGE_LIFETIME_SECONDS * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports ?? undefined })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    });
    await this.saveChallenge(options.challenge, 'registration', user.id);
    return options;
  }

  /** Verifies a registration response against its challenge (handed to this `user`) and stores the passkey. */
  async register(user: BaseUser, response: unknown, name: string, ip?: string): Promise<Passkey> {
    const refuse = this.refusal('registration', user.id, ip);
    const challenge = await this.redeem(response, { purpose: 'registration', userId: user.id }, refuse);
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: [...this.origins],
        expectedRPID: this.rpID,
        requireUserVerification: true,
      });
    } catch {
      throw refuse('not_verified');
    }
    if (!verified.verified) throw refuse('not_verified');
    const { credential, credentialDeviceType, credentialBackedUp, aaguid } = verified.registrationInfo;
    const created = await this.store.create({
      credentialId: credential.id,
      publicKey: isoBase64URL.fromBuffer(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? transportsOf(response),
      name,
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      aaguid,
      userId: user.id,
    });
    if (!created) throw refuse('already_registered', 'This passkey is registered already.');
    this.events?.publish({ type: 'passkey.added', userId: user.id, passkeyId: created.id, ip });
    return created;
  }

  /**
   * Request options for a passwordless sign-in: no username, empty `allowCredentials` (the
   * authenticator offers its discoverable credentials for `rpID`), user verification required.
   */
  async loginOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({
      rpID: this.rpID,
      allowCredentials: [],
      userVerification: 'required',
      timeout: WEBAUTHN_CHALLENGE_LIFETIME_SECONDS * 1000,
    });
    await this.saveChallenge(options.challenge, 'login');
    return options;
  }

  /** Request options for a second factor: the user's passkeys as `allowCredentials`, a challenge bound to the user. */
  async secondFactorOptions(user: BaseUser): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const passkeys = await this.store.listForUser(user.id);
    const options = await generateAuthenticationOptions({
      rpID: this.rpID,
      allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports ?? undefined })),
      // The password was the first factor: possession of the key is the second, PIN or not.
      userVerification: 'preferred',
      timeout: WEBAUTHN_CHALLENGE_LIFETIME_SECONDS * 1000,
    });
    await this.saveChallenge(options.challenge, 'second_factor', user.id);
    return options;
  }

  /**
   * Verifies an assertion: its challenge (single use, this purpose, this user), the stored
   * credential (the user's own, for a second factor), origin, RP ID, signature, user
   * verification (required for a passwordless sign-in) and a sign counter ahead of the stored one.
   */
  async verifyAssertion(response: unknown, expected: AssertionExpectation): Promise<VerifiedAssertion> {
    const refuse = this.refusal(expected.purpose, expected.userId, expected.ip);
    const challenge = await this.redeem(response, expected, refuse);
    const { id, userHandle } = assertionFields(response, refuse);
    const passkey = await this.store.findByCredentialId(id);
    if (!passkey) throw refuse('unknown_credential', 'This passkey is not registered here.');
    if (expected.userId !== undefined && passkey.userId !== expected.userId) throw refuse('unknown_credential', 'This passkey is not registered here.');
    // A discoverable credential names its user: it must be the passkey's owner.
    if (userHandle !== undefined && userHandle !== isoBase64URL.fromUTF8String(passkey.userId)) throw refuse('unknown_credential');
    const requireUserVerification = expected.purpose === 'login';
    let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verified = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: [...this.origins],
        expectedRPID: this.rpID,
        credential: {
          id: passkey.credentialId,
          publicKey: isoBase64URL.toBuffer(passkey.publicKey),
          counter: passkey.counter,
          transports: passkey.transports ?? undefined,
        },
        requireUserVerification,
      });
    } catch (error) {
      throw isCounterRegression(error) ? refuse('counter_regressed', COUNTER_REGRESSED, passkey.userId) : refuse('not_verified', undefined, passkey.userId);
    }
    const info = verified.authenticationInfo;
    if (!verified.verified || (requireUserVerification && !info.userVerified)) throw refuse('not_verified', undefined, passkey.userId);
    const usedAt = new Date();
    if (!(await this.store.recordUse(passkey.id, passkey.counter, { counter: info.newCounter, backedUp: info.credentialBackedUp, usedAt })))
      throw refuse('counter_regressed', COUNTER_REGRESSED, passkey.userId);
    Object.assign(passkey, { counter: info.newCounter, backedUp: info.credentialBackedUp, lastUsedAt: usedAt });
    return { passkey, keyAmr: info.credentialDeviceType === 'multiDevice' ? 'swk' : 'hwk', userVerified: info.userVerified };
  }

  private async saveChallenge(challenge: string, purpose: WebAuthnChallengePurpose, userId?: string): Promise<void> {
    const expiresAt = Date.now() + WEBAUTHN_CHALLENGE_LIFETIME_SECONDS * 1000;
    await this.challenges.save(challenge, userId === undefined ? { purpose, expiresAt } : { purpose, userId, expiresAt }, WEBAUTHN_CHALLENGE_LIFETIME_SECONDS);
  }

  /**
   * Takes the response's challenge out of the store (whatever happens next: it is used up) and
   * checks what it was handed out for. Answers the challenge, for the library's verification.
   */
  private async redeem(response: unknown, expected: { purpose: WebAuthnChallengePurpose; userId?: string }, refuse: Refusal): Promise<string> {
    const challenge = challengeOf(response, refuse);
    const record = await this.challenges.take(challenge);
    if (!record || record.purpose !== expected.purpose || record.userId !== expected.userId)
      throw refuse('challenge', 'The challenge is unknown, used, expired, or was handed out for something else: ask for new options.');
    return challenge;
  }

  /** How this ceremony refuses: 400 `PASSKEY_INVALID`, and a `passkey.rejected` event. */
  private refusal(purpose: WebAuthnChallengePurpose, userId: string | undefined, ip: string | undefined): Refusal {
    return (reason, message, owner) => {
      const who = userId ?? owner;
      this.events?.publish({ type: 'passkey.rejected', purpose, reason, ...(who === undefined ? {} : { userId: who }), ...(ip === undefined ? {} : { ip }) });
      return new PasskeyInvalidError(message);
    };
  }

  /** Records that the user's passkey was removed (the `passkey.removed` event). */
  removed(userId: string, passkeyId: string, ip?: string): void {
    this.events?.publish({ type: 'passkey.removed', userId, passkeyId, ip });
  }

  /** Refuses a passwordless sign-in whose passkey belongs to an inactive (or deleted) user. */
  refuseInactiveUser(userId: string, ip?: string): PasskeyInvalidError {
    return this.refusal('login', undefined, ip)('inactive_user', 'This passkey cannot sign in.', userId);
  }
}

/** Makes the ceremony's refusal: the event's reason, the answer's message, the passkey's owner when known. */
type Refusal = (reason: PasskeyRejectionReason, message?: string, owner?: string) => PasskeyInvalidError;

const COUNTER_REGRESSED = "The passkey's sign counter went backwards: the authenticator may have been cloned.";

/** simplewebauthn's refusal of a counter that is not ahead of the stored one. */
function isCounterRegression(error: unknown): boolean {
  return error instanceof Error && /counter value \d+ was lower than expected/.test(error.message);
}

/** The challenge the browser signed, from the response's `clientDataJSON`; refused when the response has none. */
function challengeOf(response: unknown, refuse: Refusal): string {
  const clientData = (response as { response?: { clientDataJSON?: unknown } } | null)?.response?.clientDataJSON;
  if (typeof clientData !== 'string' || clientData.length > MAX_CLIENT_DATA_LENGTH || !isoBase64URL.isBase64URL(clientData)) throw refuse('challenge');
  let challenge: unknown;
  try {
    challenge = decodeClientDataJSON(clientData).challenge;
  } catch {
    throw refuse('challenge');
  }
  if (typeof challenge !== 'string' || challenge === '' || challenge.length > 1024) throw refuse('challenge');
  return challenge;
}

/** The credential id and (when the authenticator gave one) the user handle of an assertion. */
function assertionFields(response: unknown, refuse: Refusal): { id: string; userHandle: string | undefined } {
  const { id, response: inner } = (response ?? {}) as { id?: unknown; response?: { userHandle?: unknown } };
  if (typeof id !== 'string' || id === '' || id.length > 1400) throw refuse('unknown_credential');
  const userHandle = inner?.userHandle;
  if (userHandle !== undefined && userHandle !== null && typeof userHandle !== 'string') throw refuse('unknown_credential');
  return { id, userHandle: typeof userHandle === 'string' && userHandle !== '' ? userHandle : undefined };
}

/** The transports the browser reported at registration (`response.transports`), when the library found none. */
function transportsOf(response: unknown): string[] | null {
  const transports = (response as { response?: { transports?: unknown } }).response?.transports;
  return Array.isArray(transports) && transports.every((t) => typeof t === 'string' && t.length <= 32) && transports.length <= 10 ? transports : null;
}
