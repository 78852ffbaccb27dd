import type { BaseUser } from '../entities/base-user';
import type { ErrorCode } from '../errors';
import type { HttpExchange } from '../http/request';
import type { JsonObject } from '../openapi/document-types';
import type { PluginContext } from '../lifecycle';

/**
 * One way of proving a second factor at `POST /2fa/verify` (TOTP, a recovery code, a passkey
 * assertion, or an app's own). The login flow asks every configured method whether the user has
 * it; the methods a user has are the `methods` of the `mfa_required` answer, and the one whose
 * `field` is in the verify body checks the proof.
 */
export interface SecondFactorMethod<U extends BaseUser = BaseUser> {
  /** The name in the `methods` list, e.g. `totp`, `recovery_code`, `webauthn`. */
  readonly name: string;
  /** The body field of `POST /2fa/verify` that carries this method's proof, e.g. `code`. */
  readonly field: string;
  /**
   * Optional: the 400 codes `verify` throws besides `MFA_CODE_INVALID` (e.g. `PASSKEY_INVALID`), so
   * `POST /2fa/verify` declares them and its OpenAPI entry lists them.
   */
  readonly errorCodes?: readonly ErrorCode[];
  /** Optional: the JSON schema of the proof in `field`, for the OpenAPI document. */
  readonly proofSchema?: JsonObject;
  /** True when the user has this factor ready to use (enrolled and confirmed). */
  isEnrolled(user: U): Promise<boolean>;
  /**
   * Optional: what the client needs before it can prove this factor (a passkey's
   * `PublicKeyCredentialRequestOptionsJSON`, with a fresh single-use challenge for this user),
   * added to the `mfa_required` answer under `name`. Called only for a user who has the method.
   */
  begin?(user: U, exchange: HttpExchange): Promise<unknown>;
  /**
   * Checks the proof (the value of `field` in the verify body). Answers the RFC 8176 `amr`
   * values it adds to the sign-in (e.g. `['otp']`, `['hwk']`); throws the method's domain error
   * (e.g. 400 `MFA_CODE_INVALID`, `PASSKEY_INVALID`) when the proof is wrong. A proof is accepted
   * at most once.
   */
  verify(user: U, proof: unknown, exchange: HttpExchange): Promise<{ amr: string[] }>;
  /** Optional: handed the app's plugin context once, at `Auth.configure` (e.g. for its store's errors). */
  init?(context: PluginContext): void;
  /** Optional: confirms at `auth.ready()` that the method can work (its store, its entity); throws `AuthConfigurationError` naming the fix. */
  ready?(): Promise<void>;
}
