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
  REFRESH_TOKEN_INVALID: 'REFRESH_TOKEN_INVALID',
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
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export class BadRequestError extends AuthHttpError {
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(400, code, message, details);
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

export class CsrfError extends AuthHttpError {
  constructor() {
    super(403, ErrorCode.CSRF_FAILED, 'Cross-site request refused: the cookie cannot authenticate it.');
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
  constructor(message = 'The authentication store is unavailable. Try again shortly.') {
    super(503, ErrorCode.AUTH_BACKEND_UNAVAILABLE, message, undefined, { 'Retry-After': '1' });
  }
}

/**
 * Thrown by `UserManager.validatePassword` (or the default policy) to refuse a password.
 * Controllers turn it into the route's `*_INVALID_PASSWORD` code with `reason` as message.
 */
export class InvalidPasswordError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidPasswordError';
  }
}

/** Thrown by `UserManager.create` / `update` when the email is taken (compared case-insensitively). */
export class UserAlreadyExistsError extends Error {
  constructor() {
    super('A user with this email already exists.');
    this.name = 'UserAlreadyExistsError';
  }
}

/**
 * A `UserManager` after-hook (`onAfterRegister`, `onAfterUpdate`, …) threw once the change it
 * follows had been saved: the change stands, complete. `hook` names the hook and `cause` holds
 * its error; the stack includes the cause's, for the server log. Clients get 500
 * `{code: "USER_HOOK_FAILED", message}` and never the hook's own message.
 */
export class UserHookError extends Error {
  /** Read by routing-controllers' drivers to set the status. */
  readonly httpCode = 500;
  readonly code = ErrorCode.USER_HOOK_FAILED;

  constructor(
    readonly hook: string,
    readonly cause: unknown,
  ) {
    super(`The change was saved, but the ${hook} hook failed.`);
    this.name = 'UserHookError';
    const causeStack = cause instanceof Error ? cause.stack ?? String(cause) : String(cause);
    this.stack = `${this.stack}\nCaused by: ${causeStack}`;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** A programming or configuration mistake, raised at `Auth.configure` time, never per request. */
export class AuthConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigurationError';
  }
}
