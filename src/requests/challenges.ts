import type { Action } from 'routing-controllers';
import type { AuthenticationBackend } from '../backend';
import {
  AuthHttpError,
  InsufficientScopeError,
  MoreFactorsRequiredError,
  ReauthenticationRequiredError,
  SessionRequiredError,
  UnauthorizedError,
} from '../errors';
import type { RejectionAnswer } from '../strategies/strategy';
import type { ChallengeParams, Transport } from '../transports/transport';

/** The app's `onUnauthenticated` option: an error to throw instead of the 401, or nothing. */
export type UnauthenticatedHandler = (action: Action) => Error | undefined | void;

/**
 * The app's 401 and 403 answers with their `WWW-Authenticate` challenge, which each transport that
 * challenges (`Transport.challenge`, e.g. bearer) describes; transports that do not (cookies) add none.
 */
export class Challenges {
  private readonly challengers: Transport[];
  /** The 401's headers, made once: with no credential, and with a refused one. */
  private readonly anonymousHeaders: Record<string, string>;
  private readonly refusedHeaders: Record<string, string>;

  constructor(
    backends: readonly AuthenticationBackend[],
    private readonly onUnauthenticated: UnauthenticatedHandler | undefined,
  ) {
    this.challengers = [...new Set(backends.map((b) => b.transport))].filter((t) => t.challenge !== undefined);
    this.anonymousHeaders = this.headers({});
    this.refusedHeaders = this.headers({ error: 'invalid_token' });
  }

  /** The `WWW-Authenticate` header for these details (several transports: their distinct challenges, comma-separated, RFC 9110 §11.6.1). */
  headers(params: ChallengeParams): Record<string, string> {
    const values = [...new Set(this.challengers.map((t) => t.challenge!(params)))];
    return values.length > 0 ? { 'WWW-Authenticate': values.join(', ') } : {};
  }

  /** The 401 for a request without a usable credential (or the app's `onUnauthenticated` error). */
  unauthenticated(action: Action | undefined, credentialRefused: boolean, answer?: RejectionAnswer): Error {
    const custom = action && this.onUnauthenticated?.(action);
    if (custom) return custom;
    // A refused API key says so (API_KEY_INVALID / API_KEY_EXPIRED), with the same challenge.
    if (answer) return new AuthHttpError(401, answer.code, answer.message, undefined, { ...this.refusedHeaders });
    return credentialRefused
      ? new UnauthorizedError('The access token is invalid or expired.', { ...this.refusedHeaders })
      : new UnauthorizedError('Authentication required.', { ...this.anonymousHeaders });
  }

  /** 403 `INSUFFICIENT_SCOPE` naming the scopes the route needs. */
  insufficientScope(scopes: string[]): InsufficientScopeError {
    return new InsufficientScopeError(scopes, this.headers({ error: 'insufficient_scope', scope: scopes }));
  }

  /** 401 for an API key on a session-only route: RFC 9470's challenge, for a credential with no sign-in behind it. */
  sessionRequired(): SessionRequiredError {
    return new SessionRequiredError(
      this.headers({ error: 'insufficient_user_authentication', errorDescription: 'A signed-in session is required, not an API key' }),
    );
  }

  /** 401 `REAUTHENTICATION_REQUIRED` (RFC 9470 challenge with `max_age`). */
  reauthentication(maxAgeSeconds: number): ReauthenticationRequiredError {
    const headers = this.headers({
      error: 'insufficient_user_authentication',
      errorDescription: 'A more recent sign-in is required',
      maxAge: maxAgeSeconds,
    });
    return new ReauthenticationRequiredError(maxAgeSeconds, headers);
  }

  /**
   * 401 `REAUTHENTICATION_REQUIRED` with `details.factors`: the RFC 9470 challenge names the
   * authentication context class asked for in `acr_values` (`mfa`, or `mfa:3` for three factors).
   */
  moreFactors(factors: number): MoreFactorsRequiredError {
    const headers = this.headers({
      error: 'insufficient_user_authentication',
      errorDescription: `A sign-in with ${factors} factors is required`,
      acrValues: [factors === 2 ? 'mfa' : `mfa:${factors}`],
    });
    return new MoreFactorsRequiredError(factors, headers);
  }
}
