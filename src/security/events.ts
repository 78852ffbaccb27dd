import { EventEmitter } from 'events';
import type { RateLimitedAction } from './rate-limited-action';

/** Why a presented token did not authenticate. */
export type TokenRejectionReason =
  'malformed' | 'bad_signature' | 'expired' | 'revoked' | 'invalid_claims' | 'unknown' | 'unknown_user' | 'inactive_user' | 'ip_not_allowed';

/**
 * What happened, for audit logs and alerting. Events carry ids, emails, backends and reasons —
 * never a token, a password or a hash.
 */
export type AuthEvent =
  | { type: 'login.succeeded'; userId: string; backend: string; ip?: string }
  | { type: 'login.failed'; email: string; reason: 'bad_credentials' | 'not_verified'; backend: string; ip?: string }
  | { type: 'logout'; userId: string; backend: string; ip?: string }
  | { type: 'token.rejected'; backend: string; reason: TokenRejectionReason; ip?: string }
  | { type: 'password.reset'; userId: string }
  | { type: 'rate.limited'; action: RateLimitedAction; retryAfterSeconds: number; ip?: string }
  /** A refresh token was presented again after its rotation: its session has been ended. */
  | { type: 'refresh.reuse_detected'; userId: string; sessionId: string; backend: string; ip?: string }
  /** A bug met on the request path (answered 500, logged once with its stack): for error trackers. */
  | { type: 'internal.error'; where: string; error: unknown; ip?: string }
  /** The app's Redis client reported an error (a lost connection, a failed reconnect, …). */
  | { type: 'store.error'; store: 'redis'; error: unknown }
  | { type: 'oauth.failed'; provider: string; flow: 'login' | 'associate'; code: string; ip?: string }
  /**
   * Someone proved the user's email (verification, password reset, or a provider that verified it
   * signing in to the account): the provider links made without that proof were removed.
   */
  | { type: 'oauth.unlinked'; userId: string; reason: OAuthUnlinkReason; links: { provider: string; accountId: string }[] }
  /**
   * A provider that verified the email signed in, by `associateByEmail`, to an account whose email
   * nobody had proven: its password, sessions and tokens were ended first, then it was marked verified.
   */
  | { type: 'oauth.account_claimed'; userId: string; provider: string }
  /** A second factor's proof was refused at `POST /2fa/verify` or `/2fa/totp/confirm` (`method`: `totp`, `recovery_code`, …). */
  | { type: 'mfa.failed'; userId: string; method: string; ip?: string }
  /** The user confirmed a TOTP authenticator (`replaced`: it took the place of an enabled one). */
  | { type: 'mfa.enabled'; userId: string; method: 'totp'; replaced: boolean }
  /** The user turned TOTP off (their recovery codes went with it). */
  | { type: 'mfa.disabled'; userId: string; method: 'totp' }
  /** A login used one of the user's recovery codes; `remaining` are left. */
  | { type: 'mfa.recovery_code_used'; userId: string; remaining: number }
  /** The user's recovery codes were replaced by new ones. */
  | { type: 'mfa.recovery_codes_regenerated'; userId: string }
  | { type: 'passkey.added'; userId: string; passkeyId: string; ip?: string }
  | { type: 'passkey.removed'; userId: string; passkeyId: string; ip?: string }
  /**
   * A WebAuthn response was refused (400 `PASSKEY_INVALID`). `counter_regressed` is the one to
   * alert on: an assertion whose sign counter did not move forward may come from a cloned authenticator.
   */
  | { type: 'passkey.rejected'; purpose: 'registration' | 'login' | 'second_factor'; reason: PasskeyRejectionReason; userId?: string; ip?: string };

/** Why a WebAuthn response was refused. */
export type PasskeyRejectionReason = 'challenge' | 'unknown_credential' | 'not_verified' | 'counter_regressed' | 'already_registered' | 'inactive_user';

/** What proved the email when provider links made without proof were removed. */
export type OAuthUnlinkReason = 'email_verified' | 'password_reset' | 'email_claimed';

export type AuthEventType = AuthEvent['type'];

/**
 * `auth.events.on('login.failed', (event) => …)`, or `on('event', …)` for every event. A
 * listener that throws is logged and never breaks the request that emitted the event.
 */
export class AuthEvents extends EventEmitter {
  publish(event: AuthEvent): void {
    for (const name of [event.type, 'event']) {
      for (const listener of this.listeners(name)) {
        try {
          const result = (listener as (e: AuthEvent) => unknown)(event);
          if (result && typeof (result as Promise<unknown>).catch === 'function') {
            (result as Promise<unknown>).catch((error) => console.error(`routing-controllers-auth: a listener of ${event.type} failed:`, error));
          }
        } catch (error) {
          console.error(`routing-controllers-auth: a listener of ${event.type} failed:`, error);
        }
      }
    }
  }
}
