import { renderFrameworkAuthErrors } from './framework-errors';
import { renderKoaBodyErrors } from './koa-body-errors';
import { enableRouteInheritance } from './route-inheritance';

/**
 * What the library changes in routing-controllers (the single copy the app shares, a peer
 * dependency): only what it offers no other way to do. Each is idempotent:
 * - inherited routes keep their decorators: its metadata look-ups walk the class chain;
 * - its own `AuthorizationRequiredError` / `AccessDeniedError` render as `{code, message}`: they are
 *   rendered before any code of the library runs, and `toJSON` is what that rendering reads;
 * - Koa's body-parser errors render as `{code, message}`: its Koa driver mounts koa-bodyparser in
 *   front of every route, where no error handler of routing-controllers sees them.
 * Error headers (`WWW-Authenticate`, `Retry-After`) need no patch: they are set where the error is
 * answered (the checkers, the library routes' helper, `AuthErrorHandler`).
 *
 * Each patch reaches routing-controllers through its index's exports (the same build, CommonJS or
 * ES module, the app's drivers come from) and its metadata storage's method names; one that cannot
 * apply records why, and `Auth.configure` throws `AuthConfigurationError` with that reason.
 */
export function installRoutingPatches(): void {
  enableRouteInheritance();
  renderFrameworkAuthErrors();
  renderKoaBodyErrors();
}
