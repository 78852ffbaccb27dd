import { ErrorCode } from '../errors';

// Not re-exported by routing-controllers' index; the package has no exports map, so the CommonJS path is stable.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { AuthorizationRequiredError } = require('routing-controllers/cjs/error/AuthorizationRequiredError');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { AccessDeniedError } = require('routing-controllers/cjs/error/AccessDeniedError');

const PATCHED = Symbol.for('routing-controllers-auth:framework-errors');

/**
 * routing-controllers throws its own `AuthorizationRequiredError` for `@CurrentUser({ required: true })`
 * without a user (and `AccessDeniedError` when a checker returns false). They would render as
 * `{name, message, stack}` in development; give them the library's `{code, message}` shape instead,
 * so every auth answer looks the same to clients.
 */
export function renderFrameworkAuthErrors(): void {
  const required = AuthorizationRequiredError.prototype as any;
  if (required[PATCHED]) return;
  required[PATCHED] = true;
  required.toJSON = function () {
    return { code: ErrorCode.UNAUTHORIZED, message: 'Authentication required.' };
  };
  (AccessDeniedError.prototype as any).toJSON = function () {
    return { code: ErrorCode.FORBIDDEN, message: 'Access denied.' };
  };
}
