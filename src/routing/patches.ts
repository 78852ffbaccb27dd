import { renderFrameworkAuthErrors, sendAuthErrorHeaders } from './framework-errors';
import { renderKoaBodyErrors } from './koa-body-errors';
import { enableRouteInheritance } from './route-inheritance';

/**
 * What the library changes in routing-controllers (the single copy the app shares, a peer
 * dependency), each idempotent: inherited routes keep their decorators (#1538); routing-controllers'
 * own auth errors and Koa's body-parser errors render as `{code, message}`; the library's errors
 * are sent with their headers (`WWW-Authenticate`, `Retry-After`).
 *
 * Each patch reaches routing-controllers through its index's exports (the same build, CommonJS or
 * ES module, the app's drivers come from) and its metadata storage's method names; one that cannot
 * apply records why, and `Auth.configure` throws `AuthConfigurationError` with that reason.
 */
export function installRoutingPatches(): void {
  enableRouteInheritance();
  renderFrameworkAuthErrors();
  sendAuthErrorHeaders();
  renderKoaBodyErrors();
}
