import { HttpError } from 'routing-controllers';

/**
 * Every error code the library answers with, and the HTTP errors that carry them.
 * One place, so a client can switch on `code` and a reviewer can see them all.
 */
export const ErrorCode = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  INSUFFICIENT_SCOPE: 'INSUFFICIENT_SCOPE',
  CSRF_FAILED: 'CSRF_FAILED',
  VALIDATION_ERROR: 'VALIDATION_ERROR',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  LOGIN_BAD_CREDENTIALS: 'LOGIN_BAD_CREDENTIALS',
  LOGIN_USER_NOT_VERIFIED: 'LOGIN_USER_NOT_VERIFIED',
  REGISTER_USER_ALREADY_EXISTS: 'REGISTER_USER_ALREADY_EXISTS',
  REGISTER_INVALID_PASSWORD: 'REGISTER_INVALID_PASSWORD',
  VERIFY_USER_BAD_TOKEN: 'VERIFY_USER_BAD_TOKEN',
  VERIFY_USER_ALREADY_VERIFIED: 'VERIFY_USER_ALREADY_VERIFIED',
  RESET_PASSWORD_BAD_TOKEN: 'RESET_PASSWORD_BAD_TOKEN',
  RESET_PASSWORD_INVALID_PASSWORD: 'RESET_PASSWORD_INVALID_PASSWORD',
  UPDATE_USER_EMAIL_ALREADY_EXISTS: 'UPDATE_USER_EMAIL_ALREADY_EXISTS',
  UPDATE_USER_INVALID_PASSWORD: 'UPDATE_USER_INVALID_PASSWORD',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  USER_ALREADY_EXISTS: 'USER_ALREADY_EXISTS',
  AUTH_BACKEND_UNAVAILABLE: 'AUTH_BACKEND_UNAVAILABLE',
  USER_HOOK_FAILED: 'USER_HOOK_FAILED',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  AUTH_MISCONFIGURED: 'AUTH_MISCONFIGURED',
  OAUTH_INVALID_STATE: 'OAUTH_INVALID_STATE',
  OAUTH_INVALID_CODE: 'OAUTH_INVALID_CODE',
  OAUTH_AUTHORIZATION_DENIED: 'OAUTH_AUTHORIZATION_DENIED',
  OAUTH_USER_ALREADY_EXISTS: 'OAUTH_USER_ALREADY_EXISTS',
  OAUTH_EMAIL_NOT_AVAILABLE: 'OAUTH_EMAIL_NOT_AVAILABLE',
  OAUTH_ACCOUNT_ALREADY_LINKED: 'OAUTH_ACCOUNT_ALREADY_LINKED',
  OAUTH_PROVIDER_ERROR: 'OAUTH_PROVIDER_ERROR',
  REFRESH_TOKEN_INVALID: 'REFRESH_TOKEN_INVALID',
  CURRENT_PASSWORD_INVALID: 'CURRENT_PASSWORD_INVALID',
  REAUTHENTICATION_REQUIRED: 'REAUTHENTICATION_REQUIRED',
  MFA_CODE_INVALID: 'MFA_CODE_INVALID',
  MFA_TOKEN_INVALID: 'MFA_TOKEN_INVALID',
  MFA_NOT_ENROLLED: 'MFA_NOT_ENROLLED',
  PASSKEY_INVALID: 'PASSKEY_INVALID',
  API_KEY_INVALID: 'API_KEY_INVALID',
  API_KEY_EXPIRED: 'API_KEY_EXPIRED',
  API_KEY_SCOPE_NOT_ALLOWED: 'API_KEY_SCOPE_NOT_ALLOWED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * An HTTP error with a machine-readable `code`. It renders as `{code, message[, details]}`
 * through `toJSON()` in every mode, and carries no stack: these are answers to clients,
 * not faults, and routing-controllers would otherwise serialise the stack in development.
 */
export class AuthHttpError extends HttpError {
  /** Read by routing-controllers' drivers to set the status. */
  declare httpCode: number;
  readonly code: ErrorCode;
  readonly details?: unknown;
  /** Headers the error handler must send with this error (e.g. `WWW-Authenticate`). */
  readonly headers: Record<string, string>;

  constructor(httpCode: number, code: ErrorCode, message: string, details?: unknown, headers: Record<string, string> = {}) {
    // A routing-controllers HttpError: its Koa driver answers any other error with a 500.
    super(httpCode, message);
    this.httpCode = httpCode;
    this.code = code;
    this.details = details;
    this.headers = headers;
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false });
    Object.defineProperty(this, 'stack', { value: undefined, enumerable: false, writable: true });
    // The http-errors convention, for handlers outside routing-controllers (Koa's own, Express's
    // final handler) after `auth.middleware()` / `auth.koaMiddleware()` refused a request: they
    // answer with this status and send `headers` themselves. Writable: Koa assigns `status`.
    Object.defineProperty(this, 'status', { value: httpCode, enumerable: false, writable: true });
    Object.defineProperty(this, 'expose', { value: httpCode < 500, enumerable: false, writable: true });
    Object.setPrototypeOf(this, new.target.prototype);
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

export class BadRequestError extends AuthHttpError {
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(400, code, message, details);
  }
}

/** 400 `LOGIN_USER_NOT_VERIFIED`: a sign-in (password, provider, passkey) of a user not verified yet, where verification is required. */
export class UserNotVerifiedError extends BadRequestError {
  constructor() {
    super(ErrorCode.LOGIN_USER_NOT_VERIFIED, 'This account is not verified yet.');
  }
}

export class UnauthorizedError extends AuthHttpError {
  constructor(message = 'Authentication required.', headers: Record<string, string> = {}) {
    super(401, ErrorCode.UNAUTHORIZED, message, undefined, headers);
  }
}

export class InsufficientScopeError extends AuthHttpError {
  constructor(required: string[], headers: Record<string, string> = {}) {
    super(403, ErrorCode.INSUFFICIENT_SCOPE, `This route needs the scope(s): ${required.join(' ')}.`, undefined, headers);
  }
}

/**
 * 401 for a request whose sign-in is older than the route allows (RFC 9470 step-up): the client
 * signs in again (password, provider, …) and retries with the new token.
 */
export class ReauthenticationRequiredError extends AuthHttpError {
  constructor(
    readonly maxAgeSeconds: number,
    headers: Record<string, string> = {},
  ) {
    super(401, ErrorCode.REAUTHENTICATION_REQUIRED, `This needs a sign-in within the last ${maxAgeSeconds} s: sign in again.`, { maxAgeSeconds }, headers);
  }
}

/**
 * 401 for a credential whose sign-in proved fewer distinct factors than `@Authorized({ factors })`
 * asks (RFC 9470 step-up): the client signs in again with a second factor and retries.
 * Same code as a too-old sign-in (`REAUTHENTICATION_REQUIRED`); `details.factors` tells them apart.
 */
export class MoreFactorsRequiredError extends AuthHttpError {
  constructor(
    readonly factors: number,
    headers: Record<string, string> = {},
  ) {
    super(
      401,
      ErrorCode.REAUTHENTICATION_REQUIRED,
      `This needs a sign-in with ${factors} factors (e.g. a password and a one-time code): sign in again.`,
      { factors },
      headers,
    );
  }
}

/** 400 `MFA_CODE_INVALID`: a second factor's proof (TOTP code, recovery code) that is wrong, used already, or malformed. */
export class MfaCodeInvalidError extends AuthHttpError {
  constructor(message = 'The code is wrong or was used already.') {
    super(400, ErrorCode.MFA_CODE_INVALID, message);
  }
}

/** 400 `MFA_TOKEN_INVALID`: an `mfa_token` that is unknown, expired, used, or not for this route or backend. */
export class MfaTokenInvalidError extends AuthHttpError {
  constructor(message = 'The mfa_token is invalid, expired or used: log in again.') {
    super(400, ErrorCode.MFA_TOKEN_INVALID, message);
  }
}

/** 400 `MFA_NOT_ENROLLED`: the user has not (or not yet) enabled the second factor the request needs. */
export class MfaNotEnrolledError extends AuthHttpError {
  constructor(message = 'This second factor is not enabled for the account.') {
    super(400, ErrorCode.MFA_NOT_ENROLLED, message);
  }
}

/**
 * 401 for a request whose credential is valid but no signed-in session (an API key) on a route
 * that needs one (`@LibraryRoute({ sessionOnly: true })`, `@Authorized({ sessionOnly: true })`):
 * the sessions, credentials and API-key routes, and logout. The client signs in instead.
 */
export class SessionRequiredError extends AuthHttpError {
  constructor(headers: Record<string, string> = {}) {
    super(401, ErrorCode.UNAUTHORIZED, 'This route needs a signed-in session: an API key cannot use it.', undefined, headers);
  }
}

/** 400 for a password or email change whose `currentPassword` is missing or wrong. */
export class CurrentPasswordInvalidError extends AuthHttpError {
  constructor(message = 'The current password is missing or wrong.') {
    super(400, ErrorCode.CURRENT_PASSWORD_INVALID, message);
  }
}

/**
 * 400 for a WebAuthn response that does not verify: unknown, used or expired challenge, wrong
 * origin or RP ID, unknown credential or another user's, bad signature, missing user
 * verification, a sign counter that went backwards.
 */
export class PasskeyInvalidError extends AuthHttpError {
  constructor(message = 'The passkey response could not be verified.') {
    super(400, ErrorCode.PASSKEY_INVALID, message);
  }
}

export class CsrfError extends AuthHttpError {
  constructor(message = 'Cross-site request refused: the cookie cannot authenticate it.') {
    super(403, ErrorCode.CSRF_FAILED, message);
  }
}

export class ForbiddenError extends AuthHttpError {
  constructor(message = 'Forbidden.') {
    super(403, ErrorCode.FORBIDDEN, message);
  }
}

export class NotFoundError extends AuthHttpError {
  constructor(message = 'Not found.') {
    super(404, ErrorCode.NOT_FOUND, message);
  }
}

export class ValidationError extends AuthHttpError {
  constructor(message: string, details?: unknown) {
    super(400, ErrorCode.VALIDATION_ERROR, message, details);
  }
}

export class PayloadTooLargeError extends AuthHttpError {
  constructor(limitBytes: number) {
    super(413, ErrorCode.PAYLOAD_TOO_LARGE, `Request body is larger than ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaTypeError extends AuthHttpError {
  constructor(accepted: string[]) {
    super(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, `Content-Type must be one of: ${accepted.join(', ')}.`);
  }
}

export class TooManyRequestsError extends AuthHttpError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, ErrorCode.TOO_MANY_REQUESTS, `Too many attempts. Try again in ${retryAfterSeconds} s.`, undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
}

export class BackendUnavailableError extends AuthHttpError {
  /** The store's own error (for the server log's outage lines); never sent to the client. */
  declare readonly cause: unknown;

  constructor(message = 'The authentication store is unavailable. Try again shortly.', cause?: unknown) {
    super(503, ErrorCode.AUTH_BACKEND_UNAVAILABLE, message, undefined, { 'Retry-After': '1' });
    Object.defineProperty(this, 'cause', { value: cause, enumerable: false });
  }

  /** The 503 for a store that cannot be reached, keeping the store's error. */
  static causedBy(cause: unknown): BackendUnavailableError {
    return new BackendUnavailableError(undefined, cause);
  }
}

/**
 * A bug met while authenticating or serving one of the library's routes: 500
 * `{code: "INTERNAL_ERROR", message}`, never the cause's message or stack (those go to the server
 * log, once, and to the `internal.error` auth event). `cause` holds the original error.
 */
export class InternalAuthError extends AuthHttpError {
  constructor(readonly cause: unknown) {
    super(500, ErrorCode.INTERNAL_ERROR, 'Internal error while authenticating the request.');
  }
}

/**
 * An `AuthConfigurationError` met while serving a request (e.g. an entity the strategy needs is not
 * registered): 500 `{code: "AUTH_MISCONFIGURED", message}`; the configuration error, which names
 * the fix, goes to the server log once.
 */
export class MisconfiguredError extends AuthHttpError {
  constructor(readonly cause: AuthConfigurationError) {
    super(500, ErrorCode.AUTH_MISCONFIGURED, 'The authentication library is misconfigured: see the server log.');
  }
}

/**
 * A social-login provider could not be reached, timed out, or answered something unusable.
 * The provider's own answer is never passed on to the client.
 */
export class OAuthProviderError extends AuthHttpError {
  constructor(message = 'The sign-in provider failed to answer. Try again shortly.') {
    super(502, ErrorCode.OAUTH_PROVIDER_ERROR, message);
  }
}

// ---- Domain errors: what the user manager says; the controllers map each to its route's code. ----

/**
 * The base of the library's domain errors: no status, no code. Routes translate them (e.g. a bad
 * reset token is `RESET_PASSWORD_BAD_TOKEN` on `POST /reset-password`); code calling the
 * `UserManager` directly catches them by class.
 */
export class AuthDomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * Thrown by `UserManager.validatePassword` (or the default policy) to refuse a password.
 * Controllers turn it into the route's `*_INVALID_PASSWORD` code with `reason` as message.
 */
export class InvalidPasswordError extends AuthDomainError {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Thrown by `UserManager.create` / `update` when the email is taken (compared case-insensitively). */
export class UserAlreadyExistsError extends AuthDomainError {
  constructor() {
    super('A user with this email already exists.');
  }
}

/** A verify token that is forged, expired, for another address, or for an inactive or missing user. */
export class InvalidVerifyTokenError extends AuthDomainError {
  constructor() {
    super('The verification token is invalid or expired.');
  }
}

/** `UserManager.verify` of a user who is verified already. */
export class UserAlreadyVerifiedError extends AuthDomainError {
  constructor() {
    super('This user is already verified.');
  }
}

/** A reset token that is forged, expired, already used, or for an inactive or missing user. */
export class InvalidResetTokenError extends AuthDomainError {
  constructor() {
    super('The reset token is invalid, expired or already used.');
  }
}

/**
 * A `UserManager` after-hook (`onAfterRegister`, `onAfterUpdate`, …) threw once the change it
 * follows had been saved: the change stands, complete. `hook` names the hook and `cause` holds
 * its error; `stack` includes the cause's, for the server log (the manager logs it once). Clients
 * get 500 `{code: "USER_HOOK_FAILED", message}` and never the hook's own message.
 */
export class UserHookError extends AuthHttpError {
  constructor(
    readonly hook: string,
    readonly cause: unknown,
  ) {
    super(500, ErrorCode.USER_HOOK_FAILED, `The change was saved, but the ${hook} hook failed.`);
    const causeStack = cause instanceof Error ? (cause.stack ?? String(cause)) : String(cause);
    // Not enumerable, as on every AuthHttpError: a client body never carries it.
    Object.defineProperty(this, 'stack', { value: `UserHookError: ${this.message}\nCaused by: ${causeStack}`, enumerable: false, writable: true });
  }
}

/** `ApiKeys.create` asked for a scope the owner does not have (`API_KEY_SCOPE_NOT_ALLOWED` on `POST /api-keys`). */
export class ApiKeyScopeNotAllowedError extends AuthDomainError {
  constructor(readonly scopes: string[]) {
    super(`A key cannot carry scope(s) its owner lacks: ${scopes.join(' ')}.`);
  }
}

/** A programming or configuration mistake, raised at `Auth.configure` time, never per request. */
export class AuthConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigurationError';
  }
}
