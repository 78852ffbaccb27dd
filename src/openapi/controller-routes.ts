import { getMetadataArgsStorage } from 'routing-controllers';
import { parseRoutes, type IRoute } from 'routing-controllers-openapi';

/** One route of the app as routing-controllers serves it, with the class that declares its method. */
export interface ControllerRoute extends IRoute {
  /** The class whose body declares the action: the controller itself, or a base class it extends. */
  declaredOn: Function;
}

/** Set on a controller class whose routes are no part of the API (the Swagger UI page). */
export const NOT_DOCUMENTED = Symbol.for('routing-controllers-auth:not-documented');

function classChain(target: Function): Function[] {
  const chain: Function[] = [];
  for (let t: any = target; typeof t === 'function' && t !== Function.prototype; t = Object.getPrototypeOf(t)) chain.push(t);
  return chain;
}

/**
 * The routes of `controllers` (default: every controller routing-controllers knows), inherited
 * ones included. routing-controllers serves a method a controller inherits as the controller's own
 * route, but routing-controllers-openapi reads the raw metadata, where that action belongs to the
 * base class (which is no controller) and fails on it. So the actions are re-targeted to each
 * controller here, nearest declaration first, the way routing-controllers' MetadataBuilder does;
 * parameters and response decorators then resolve along the class chain (see route-inheritance.ts).
 */
export function controllerRoutes(controllers: Function[] | undefined, routePrefix: string | undefined): ControllerRoute[] {
  const storage = getMetadataArgsStorage();
  const chosen = storage.controllers.filter(
    (c) => (!controllers || controllers.includes(c.target)) && !(c.target as unknown as Record<symbol, unknown>)[NOT_DOCUMENTED],
  );
  const routes: ControllerRoute[] = [];
  for (const controller of chosen) {
    const seen = new Set<string>();
    for (const cls of classChain(controller.target)) {
      for (const action of storage.filterActionsWithTarget(cls)) {
        if (seen.has(action.method)) continue;
        seen.add(action.method);
        const view = Object.create(storage, {
          controllers: { value: [controller] },
          actions: { value: [{ ...action, target: controller.target }] },
        });
        const [route] = parseRoutes(view, { routePrefix });
        routes.push({ ...route, declaredOn: cls });
      }
    }
  }
  return routes;
}
