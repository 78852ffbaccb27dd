import { AuthHttpError, ErrorCode } from '../errors';

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

const HEADERS_PATCHED = Symbol.for('routing-controllers-auth:error-headers');

/**
 * routing-controllers' drivers send an error's status and body but not its headers. The library's
 * errors carry some that matter (`WWW-Authenticate`, `Retry-After`): set them before the driver
 * answers, whichever route threw.
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
    proto.handleError = function (error: unknown, action: unknown, options: unknown) {
      const response = rawResponseOf(options);
      if (error instanceof AuthHttpError && response && !response.headersSent) {
        for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
      }
      return handleError.call(this, error, action, options);
    };
  }
}
