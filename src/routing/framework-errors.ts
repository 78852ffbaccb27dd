import * as routingControllers from 'routing-controllers';
import { ErrorCode } from '../errors';
import { recordPatchProblem } from './patch-problems';

const PATCHED = Symbol.for('routing-controllers-auth:framework-errors');

/** What the framework's own auth errors render as, by the `name` routing-controllers gives them and their exported base class. */
const FRAMEWORK_AUTH_ERRORS: Array<{ name: string; base: string; body: { code: string; message: string } }> = [
  { name: 'AuthorizationRequiredError', base: 'UnauthorizedError', body: { code: ErrorCode.UNAUTHORIZED, message: 'Authentication required.' } },
  { name: 'AccessDeniedError', base: 'ForbiddenError', body: { code: ErrorCode.FORBIDDEN, message: 'Access denied.' } },
];

/**
 * routing-controllers throws its own `AuthorizationRequiredError` for `@CurrentUser({ required: true })`
 * without a user (and `AccessDeniedError` when a checker returns false), before any code of the
 * library or the app runs, and its drivers render it then and there, as `{name, message, stack}` in
 * development. The one place that rendering asks is the error's `toJSON`, so the library's
 * `{code, message}` can only be given there: a patch, and the smallest one.
 *
 * The classes themselves are not exported by routing-controllers' index, and a bundler may load its
 * ES module build rather than its CommonJS one, so they are not imported by a deep path (which could
 * be the other build's copy). Their exported base classes get a `toJSON` that exists only on an
 * instance of that `name`: every other `UnauthorizedError` / `ForbiddenError` (the app's own) is
 * rendered by routing-controllers exactly as before.
 */
export function renderFrameworkAuthErrors(): void {
  for (const { name, base, body } of FRAMEWORK_AUTH_ERRORS) {
    const baseClass = (routingControllers as Record<string, unknown>)[base];
    if (typeof baseClass !== 'function') {
      recordPatchProblem(`no exported ${base} (the base class of its ${name}, to answer it as {code, message})`);
      continue;
    }
    const proto = baseClass.prototype as Record<PropertyKey, unknown>;
    const patched = (proto[PATCHED] ??= new Map<string, object>()) as Map<string, object>;
    if (patched.has(name)) continue;
    patched.set(name, body);
    if (Object.prototype.hasOwnProperty.call(proto, 'toJSON')) continue; // installed for the other name already
    Object.defineProperty(proto, 'toJSON', {
      configurable: true,
      get(this: { name?: unknown }) {
        const rendered = typeof this.name === 'string' ? patched.get(this.name) : undefined;
        return rendered ? () => ({ ...rendered }) : undefined;
      },
    });
  }
}
