import { renderFrameworkAuthErrors, sendAuthErrorHeaders } from './framework-errors';
import { renderKoaBodyErrors } from './koa-body-errors';
import { enableRouteInheritance } from './route-inheritance';

/**
 * What the library changes in routing-controllers (the single copy the app shares, a peer
 * dependency), each idempotent: inherited routes keep their decorators (#1538); routing-controllers'
 * own auth errors and Koa's body-parser errors render as `{code, message}`; the library's errors
 * are sent with their headers (`WWW-Authenticate`, `Retry-After`).
 */
export function installRoutingPatches(): void {
  enableRouteInheritance();
  renderFrameworkAuthErrors();
  sendAuthErrorHeaders();
  renderKoaBodyErrors();
}
