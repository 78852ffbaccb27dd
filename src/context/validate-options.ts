import type { BaseUser } from '../entities/base-user';
import { AuthConfigurationError } from '../errors';
import { lifetimeOption } from '../options';
import type { AuthOptions } from './auth-options';

/** Five minutes, as Keycloak's default maximum age of authentication for sensitive actions. */
export const DEFAULT_RECENT_SIGN_IN_SECONDS = 300;

/** RFC 6749 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The options' values, defaults applied, once every check passed. */
export interface CheckedOptions {
  scopes: Record<string, string>;
  recentSignInMaxAgeSeconds: number;
  verifyLifetimeSeconds: number;
  resetLifetimeSeconds: number;
  requireVerification: boolean;
  enumerationSafeRegistration: boolean;
}

/**
 * Every check of `Auth.configure`'s own options, in one place (the pieces it is given check theirs
 * when they are made): throws `AuthConfigurationError` naming the option and its fix.
 */
export function checkAuthOptions<U extends BaseUser>(options: AuthOptions<U>): CheckedOptions {
  if (!options.backends?.length) throw new AuthConfigurationError('Auth.configure: give at least one backend.');
  const names = new Set<string>();
  for (const backend of options.backends) {
    if (names.has(backend.name)) throw new AuthConfigurationError(`Auth.configure: two backends are named "${backend.name}".`);
    names.add(backend.name);
  }
  const scopes = checkDeclaredScopes(options.scopes ?? {});
  const recentSignInMaxAgeSeconds = options.recentSignInMaxAgeSeconds ?? DEFAULT_RECENT_SIGN_IN_SECONDS;
  if (!Number.isInteger(recentSignInMaxAgeSeconds) || recentSignInMaxAgeSeconds < 0)
    throw new AuthConfigurationError('Auth.configure: recentSignInMaxAgeSeconds must be a whole number of seconds ≥ 0.');
  if (!options.userStore && !(options.dataSource && options.userEntity)) {
    throw new AuthConfigurationError('Auth.configure: give `dataSource` and `userEntity`, or a `userStore`.');
  }
  return {
    scopes,
    recentSignInMaxAgeSeconds,
    verifyLifetimeSeconds: lifetimeOption(options.verifyTokenLifetimeSeconds, 'Auth.configure: verifyTokenLifetimeSeconds', false) as number,
    resetLifetimeSeconds: lifetimeOption(options.resetTokenLifetimeSeconds, 'Auth.configure: resetTokenLifetimeSeconds', false) as number,
    requireVerification: options.requireVerification ?? false,
    enumerationSafeRegistration: options.enumerationSafeRegistration ?? false,
  };
}

function checkDeclaredScopes(scopes: Record<string, string>): Record<string, string> {
  for (const [name, description] of Object.entries(scopes)) {
    if (!SCOPE_TOKEN.test(name))
      throw new AuthConfigurationError(`Auth.configure: scope "${name}" is not a valid OAuth2 scope (printable ASCII without spaces, quotes or backslashes).`);
    if (typeof description !== 'string') throw new AuthConfigurationError(`Auth.configure: scopes["${name}"] must be its description (a string).`);
  }
  return { ...scopes };
}
