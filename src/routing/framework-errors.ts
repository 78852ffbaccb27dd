import * as routingControllers from 'routing-controllers';
import { isLibraryController } from '../controllers/library-controller';
import { AuthHttpError, BackendUnavailableError, ErrorCode } from '../errors';
import { appFailuresFor, reportWithoutApp } from '../context/failure-sink';
import { toClientError } from '../request-failures';
import { recordPatchProblem } from './patch-problems';

const PATCHED = Symbol.for('routing-controllers-auth:framework-errors');

/** What the framework's own auth errors render as; `name` is what routing-controllers gives them. */
const FRAMEWORK_AUTH_ERRORS: Record<string, { base: Function | undefined; body: { code: string; message: string } }> = {
  AuthorizationRequiredError: { base: routingControllers.UnauthorizedError, body: { code: ErrorCode.UNAUTHORIZED, message: 'Authentication required.' } },
  AccessDeniedError: { base: routingControllers.ForbiddenError, body: { code: ErrorCode.FORBIDDEN, message: 'Access denied.' } },
};

/**
 * routing-controllers throws its own `AuthorizationRequiredError` for `@CurrentUser({ required: true })`
 * without a user (and `AccessDeniedError` when a checker returns false). They would render as
 * `{name, message, stack}` in development; give them the library's `{code, message}` shape instead,
 * so every auth answer looks the same to clients.
 *
 * Those classes are not exported by routing-controllers' index, and a bundler may load its ES module
 * build rather than its CommonJS one: rather than import them by a deep path (which could be the
 * other build's copy), the driver's error handler (patched below, from whichever build the app uses)
 * recognises them by `name` and base class the first time one passes, and patches that class.
 */
function renderFrameworkAuthError(error: any): void {
  const known = typeof error?.name === 'string' ? FRAMEWORK_AUTH_ERRORS[error.name] : undefined;
  if (!known || !known.base || !(error instanceof known.base)) return;
  const proto = Object.getPrototypeOf(error);
  if (Object.prototype.hasOwnProperty.call(proto, PATCHED)) return;
  proto[PATCHED] = true;
  proto.toJSON = function () {
    return { ...known.body };
  };
}

/** The framework errors' base classes must exist in this routing-controllers, or nothing would match. */
export function renderFrameworkAuthErrors(): void {
  for (const [name, { base }] of Object.entries(FRAMEWORK_AUTH_ERRORS)) {
    if (typeof base !== 'function') recordPatchProblem(`no exported base class of its ${name} (to answer it as {code, message})`);
  }
}

const HEADERS_PATCHED = Symbol.for('routing-controllers-auth:error-headers');

/**
 * routing-controllers' drivers send an error's status and body but not its headers. The library's
 * errors carry some that matter (`WWW-Authenticate`, `Retry-After`): set them before the driver
 * answers, whichever route threw. On the library's own routes, an unexpected error is first
 * translated by the library's one rule (see request-failures.ts).
 */
export function sendAuthErrorHeaders(): void {
  // Named exports of routing-controllers' index: the same build (CommonJS, or the ES module build a
  // bundler picks) as the drivers the app's createExpressServer/useKoaServer instantiate.
  const drivers: [string, (options: any) => { setHeader(name: string, value: string): void; headersSent: boolean } | undefined][] = [
    ['ExpressDriver', (options) => options?.response],
    ['KoaDriver', (options) => options?.context?.res],
  ];
  for (const [name, rawResponseOf] of drivers) {
    const driver: any = (routingControllers as Record<string, unknown>)[name];
    if (typeof driver?.prototype?.handleError !== 'function') {
      recordPatchProblem(`no ${name}.prototype.handleError (to send WWW-Authenticate and Retry-After)`);
      continue;
    }
    const proto = driver?.prototype;
    if (proto[HEADERS_PATCHED]) continue;
    proto[HEADERS_PATCHED] = true;
    const handleError = proto.handleError;
    proto.handleError = function (error: any, action: any, options: unknown) {
      // A library route's failure that is no answer yet (no status of its own): an outage is a 503,
      // anything else a bug, reported once and answered 500 {code, message}, never with its stack.
      // Reported to the app the error or the route belongs to (see appFailuresFor): never another app's.
      if (typeof error?.httpCode !== 'number' && isLibraryController(action?.controllerMetadata?.target)) {
        const where = `${action.controllerMetadata.target.name}.${action.method}`;
        const report = appFailuresFor(error, action, options)?.report ?? reportWithoutApp;
        error = toClientError(error, report, where, (options as any)?.request?.ip);
      }
      // Every answered request passes here once: a 503 for a lost database counts in its app's outage line.
      if (error instanceof BackendUnavailableError) appFailuresFor(error, action, options)?.refused(error);
      renderFrameworkAuthError(error);
      const response = rawResponseOf(options);
      if (error instanceof AuthHttpError && response && !response.headersSent) {
        for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
      }
      return handleError.call(this, error, action, options);
    };
  }
}
