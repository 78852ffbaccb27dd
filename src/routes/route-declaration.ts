import { serveDeclaredRoute } from './route-call';
import type { LibraryRouteDeclaration } from './route-types';

export type { DomainErrorAnswer, LibraryRouteDeclaration, RouteBody, RouteContext, RouteDocs, RouteRateLimit, StatusCodes } from './route-types';

const declarations = new WeakMap<Function, Map<string, LibraryRouteDeclaration>>();

/**
 * Declares one of the library's routes (put it above the routing-controllers method decorator).
 * The method is served through the route's helper: its failures become the declared answers, a
 * failure that is no answer yet becomes 503 (outage) or a reported 500, and any answer the
 * declaration does not list is recorded (see undeclared-answers.ts).
 */
export function LibraryRoute(declaration: LibraryRouteDeclaration): MethodDecorator {
  return (target, key, descriptor: PropertyDescriptor) => {
    const method = String(key);
    const declaredOn = target.constructor;
    let own = declarations.get(declaredOn);
    if (!own) declarations.set(declaredOn, (own = new Map()));
    own.set(method, declaration);
    const handler = descriptor.value as (...args: unknown[]) => unknown;
    descriptor.value = function (this: object, ...args: unknown[]) {
      return serveDeclaredRoute(this, declaredOn, method, declaration, handler, args);
    };
  };
}

/** The declaration of `method` as declared on the class `declaredOn`, when it is one of the library's routes. */
export function routeDeclaration(declaredOn: Function, method: string): LibraryRouteDeclaration | undefined {
  return declarations.get(declaredOn)?.get(method);
}
