import { AuthConfigurationError } from '../errors';
import { type AccessRequirement, accessRequirementOf } from '../security/access-requirement';
import { SUPERUSER_SCOPE } from '../users/scopes';
import type { ControllerRoute } from './controller-routes';

/** The scope the library itself requires (user administration), declared for every app. */
export const LIBRARY_SCOPES: Record<string, string> = { [SUPERUSER_SCOPE]: 'Administer users (every superuser has it).' };

/** What `@Authorized(...)` asks of this route (scopes, step-up age), or undefined when the route is not protected. */
export function authorizedRequirement(route: ControllerRoute): AccessRequirement | undefined {
  const handler = route.responseHandlers.find((h) => h.type === 'authorized');
  if (!handler) return undefined;
  const value = handler.value as unknown;
  return accessRequirementOf(value === undefined ? [] : Array.isArray(value) ? value : [value]);
}

/** The scopes `@Authorized(...)` asks of this route, or undefined when the route is not protected. */
export function authorizedScopes(route: ControllerRoute): string[] | undefined {
  const requirement = authorizedRequirement(route);
  return requirement && [...requirement.scopes];
}

/** A route and the scopes it needs that `Auth.configure({ scopes })` does not declare. */
export interface UndeclaredScopeUse {
  route: string;
  scopes: string[];
}

/**
 * Reports routes needing undeclared scopes: Swagger UI offers only declared scopes at "Authorize",
 * and a typo in `@Authorized(['itmes:write'])` would otherwise lock everyone out silently.
 */
export function reportUndeclaredScopes(uses: UndeclaredScopeUse[], mode: 'warn' | 'error', warn: (message: string) => void): void {
  if (uses.length === 0) return;
  const lines = uses.map((u) => `- ${u.route} needs ${u.scopes.map((s) => `"${s}"`).join(', ')}`);
  const message =
    `routing-controllers-auth: @Authorized scopes that Auth.configure({ scopes }) does not declare:\n${lines.join('\n')}\n` +
    'Declare each with a description (it shows in the OpenAPI document), or fix the scope name.';
  if (mode === 'error') throw new AuthConfigurationError(message);
  warn(message);
}
