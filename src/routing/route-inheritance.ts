import { getMetadataArgsStorage } from 'routing-controllers';
import { recordPatchProblem } from './patch-problems';

/**
 * routing-controllers (0.11, and 0.10 before it) registers the routes a controller inherits but looks up their
 * parameter decorators, `@Authorized`, `@UseBefore/@UseAfter`, interceptors and response
 * decorators (`@HttpCode`, `@OnUndefined`, …) on the subclass only
 * (typestack/routing-controllers#1538): an inherited `@Authorized` route is served to anyone.
 *
 * This makes those look-ups walk the class chain, so an inherited route behaves exactly like
 * one declared on the subclass. It patches the single, global metadata storage (a peer
 * dependency, shared with the app) once, when the library is loaded.
 */
const PATCHED = Symbol.for('routing-controllers-auth:route-inheritance');

type Target = Function;

function classChain(target: Target): Target[] {
  const chain: Target[] = [];
  for (let t: any = target; typeof t === 'function' && t !== Function.prototype; t = Object.getPrototypeOf(t)) {
    chain.push(t);
  }
  return chain;
}

const REPLACED_METHODS = [
  'filterParamsWithTargetAndMethod',
  'filterResponseHandlersWithTargetAndMethod',
  'filterResponseHandlersWithTarget',
  'filterUsesWithTargetAndMethod',
  'filterInterceptorUsesWithTargetAndMethod',
];
const READ_LISTS = ['params', 'responseHandlers', 'uses', 'useInterceptors'];

export function enableRouteInheritance(): void {
  const storage = getMetadataArgsStorage() as any;
  if (storage[PATCHED]) return;
  // Each replaced method must exist and each list it reads must be there: otherwise routing-controllers
  // looks routes up in a way this patch does not know, and inherited routes could lose `@Authorized`.
  const missing = [...REPLACED_METHODS.filter((m) => typeof storage[m] !== 'function'), ...READ_LISTS.filter((l) => !Array.isArray(storage[l]))];
  if (missing.length > 0) {
    recordPatchProblem(`MetadataArgsStorage has no ${missing.join(', ')} (to keep inherited routes' decorators)`);
    return;
  }
  storage[PATCHED] = true;

  // Parameters belong to one method declaration: take them from the nearest class that declares any.
  storage.filterParamsWithTargetAndMethod = function (target: Target, method: string) {
    for (const cls of classChain(target)) {
      const own = this.params.filter((p: any) => p.object.constructor === cls && p.method === method);
      if (own.length > 0) return own;
    }
    return [];
  };

  // Response decorators are read with `find` per type: nearest class first, so an override wins
  // for the types it re-declares and inherits the rest (an override can never drop `@Authorized`).
  storage.filterResponseHandlersWithTargetAndMethod = function (target: Target, method: string) {
    return classChain(target).flatMap((cls) => this.responseHandlers.filter((h: any) => h.target === cls && h.method === method));
  };
  storage.filterResponseHandlersWithTarget = function (target: Target) {
    return classChain(target).flatMap((cls) => this.responseHandlers.filter((h: any) => h.target === cls));
  };

  // Middlewares and interceptors stack: the base class's run first, then the subclass's.
  storage.filterUsesWithTargetAndMethod = function (target: Target, method: string | undefined) {
    return classChain(target)
      .reverse()
      .flatMap((cls) => this.uses.filter((u: any) => u.target === cls && u.method === method));
  };
  storage.filterInterceptorUsesWithTargetAndMethod = function (target: Target, method: string | undefined) {
    return classChain(target)
      .reverse()
      .flatMap((cls) => this.useInterceptors.filter((u: any) => u.target === cls && u.method === method));
  };
}
