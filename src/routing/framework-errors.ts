import { isLibraryController } from '../controllers/library-controller';
import { AuthHttpError, ErrorCode } from '../errors';
import { reportRouteFailure, toClientError } from '../request-failures';

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
  const required = AuthorizationRequiredError.prototype;
  if (required[PATCHED]) return;
  required[PATCHED] = true;
  required.toJSON = function () {
    return { code: ErrorCode.UNAUTHORIZED, message: 'Authentication required.' };
  };
  (AccessDeniedError.prototype).toJSON = function () {
    return { code: ErrorCode.FORBIDDEN, message: 'Access denied.' };
  };
}

const HEADERS_PATCHED = Symbol.for('routing-controllers-auth:error-headers');

/**
 * routing-controllers' drivers send an error's status and body but not its headers. The library's
 * errors carry some that matter (`WWW-Authenticate`, `Retry-After`): set them before the driver
 * answers, whichever route threw. On the library's own routes, an unexpected error is first
 * translated by the library's one rule (see request-failures.ts).
 */
export function sendAuthErrorHeaders(): void {
  const drivers: [string, (options: any) => { setHeader(name: string, value: string): void; headersSent: boolean } | undefined][] = [
    ['routing-controllers/cjs/driver/express/ExpressDriver', (options) => options?.response],
    ['routing-controllers/cjs/driver/koa/KoaDriver', (options) => options?.context?.res],
  ];
  for (const [path, rawResponseOf] of drivers) {
    let driver: any;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      driver = Object.values(require(path))[0];
    } catch {
      continue;
    }
    const proto = driver?.prototype;
    if (!proto || proto[HEADERS_PATCHED]) continue;
    proto[HEADERS_PATCHED] = true;
    const handleError = proto.handleError;
    proto.handleError = function (error: any, action: any, options: unknown) {
      // A library route's failure that is no answer yet (no status of its own): an outage is a 503,
      // anything else a bug, reported once and answered 500 {code, message}, never with its stack.
      if (typeof error?.httpCode !== 'number' && isLibraryController(action?.controllerMetadata?.target)) {
        const where = `${action.controllerMetadata.target.name}.${action.method}`;
        error = toClientError(error, reportRouteFailure, where, (options as any)?.request?.ip);
      }
      const response = rawResponseOf(options);
      if (error instanceof AuthHttpError && response && !response.headersSent) {
        for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
      }
      return handleError.call(this, error, action, options);
    };
  }
}
