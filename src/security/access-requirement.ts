import { AuthConfigurationError } from '../errors';

/**
 * What `@Authorized(...)` asks of a request, in the object form. The array form
 * `@Authorized(['items:write'])` stays the short way to ask for scopes alone.
 *
 * ```ts
 * @Authorized({ scopes: ['billing:write'], maxAgeSeconds: 300 }) // signed in within 5 minutes
 * ```
 */
export interface AuthorizedOptions {
  /** Scopes the credential must all carry. */
  scopes?: string[];
  /**
   * Step-up: the session's last real sign-in (password, provider, …; a refresh is none) must be
   * at most this many seconds old, else 401 `REAUTHENTICATION_REQUIRED` (RFC 9470).
   */
  maxAgeSeconds?: number;
  /**
   * True: only a signed-in session may call the route, never an API key (401 `UNAUTHORIZED` for
   * one). For routes that change the account or its credentials.
   */
  sessionOnly?: boolean;
}

/** A route's requirement with its parts combined (controller-level and method-level decorators). */
export interface AccessRequirement {
  scopes: string[];
  /** The strictest `maxAgeSeconds` asked, if any. */
  maxAgeSeconds: number | undefined;
  /** True when any part asked for a session (no API key). */
  sessionOnly?: boolean;
}

const KNOWN_KEYS = new Set(['scopes', 'maxAgeSeconds', 'sessionOnly']);
/** routing-controllers hands the checker the same roles array on every request: parse it once. */
const parsed = new WeakMap<readonly unknown[], AccessRequirement>();

/**
 * The requirement of routing-controllers' `authorizedRoles` (what `@Authorized(...)` on the
 * controller and the method gave, concatenated): strings are scopes, objects `AuthorizedOptions`.
 */
export function accessRequirementOf(roles: readonly unknown[] | undefined): AccessRequirement {
  if (!roles || roles.length === 0) return { scopes: [], maxAgeSeconds: undefined };
  let requirement = parsed.get(roles);
  if (!requirement) {
    requirement = combine(roles);
    parsed.set(roles, requirement);
  }
  return requirement;
}

function combine(roles: readonly unknown[]): AccessRequirement {
  const scopes: string[] = [];
  let maxAgeSeconds: number | undefined;
  let sessionOnly = false;
  for (const role of roles) {
    if (typeof role === 'string') {
      scopes.push(role);
      continue;
    }
    if (role === null || typeof role !== 'object' || Array.isArray(role)) {
      throw new AuthConfigurationError(`@Authorized: ${String(role)} is neither a scope nor { scopes?, maxAgeSeconds? }.`);
    }
    const options = role as Record<string, unknown>;
    const unknown = Object.keys(options).filter((key) => !KNOWN_KEYS.has(key));
    if (unknown.length > 0)
      throw new AuthConfigurationError(`@Authorized: unknown option(s) ${unknown.join(', ')}; it takes { scopes?, maxAgeSeconds?, sessionOnly? }.`);
    if (options.scopes !== undefined) {
      if (!Array.isArray(options.scopes) || !options.scopes.every((s) => typeof s === 'string'))
        throw new AuthConfigurationError('@Authorized: `scopes` must be an array of strings.');
      scopes.push(...options.scopes);
    }
    if (options.maxAgeSeconds !== undefined) {
      const age = options.maxAgeSeconds;
      if (typeof age !== 'number' || !Number.isInteger(age) || age < 0)
        throw new AuthConfigurationError('@Authorized: `maxAgeSeconds` must be a whole number of seconds ≥ 0.');
      maxAgeSeconds = maxAgeSeconds === undefined ? age : Math.min(maxAgeSeconds, age);
    }
    if (options.sessionOnly !== undefined) {
      if (typeof options.sessionOnly !== 'boolean') throw new AuthConfigurationError('@Authorized: `sessionOnly` must be true or false.');
      sessionOnly ||= options.sessionOnly;
    }
  }
  return sessionOnly ? { scopes: [...new Set(scopes)], maxAgeSeconds, sessionOnly } : { scopes: [...new Set(scopes)], maxAgeSeconds };
}

/** True when a sign-in at `authTime` is recent enough for `maxAgeSeconds` (no sign-in time: never). */
export function isRecentSignIn(authTime: Date | undefined, maxAgeSeconds: number, now = Date.now()): boolean {
  // JWTs carry whole seconds: a sign-in in the current second is 0 s old, not negative.
  return authTime !== undefined && now - authTime.getTime() <= maxAgeSeconds * 1000;
}
