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
   * The distinct authentication factors the sign-in must have proved (from the credential's
   * `amr`, see `factorCount`: a password and a TOTP code are 2), else 401
   * `REAUTHENTICATION_REQUIRED` with `details.factors`. A credential with no sign-in behind it
   * (a token made in code without `amr`) proves none.
   */
  factors?: number;
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
  /** The most `factors` asked, if any (absent when none is). */
  factors?: number;
  /** True when any part asked for a session (no API key). */
  sessionOnly?: boolean;
}

const KNOWN_KEYS = new Set(['scopes', 'maxAgeSeconds', 'factors', 'sessionOnly']);
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
  let factors: number | undefined;
  let sessionOnly = false;
  for (const role of roles) {
    if (typeof role === 'string') {
      scopes.push(role);
      continue;
    }
    if (role === null || typeof role !== 'object' || Array.isArray(role)) {
      throw new AuthConfigurationError(`@Authorized: ${String(role)} is neither a scope nor { scopes?, maxAgeSeconds?, factors? }.`);
    }
    const options = role as Record<string, unknown>;
    const unknown = Object.keys(options).filter((key) => !KNOWN_KEYS.has(key));
    if (unknown.length > 0)
      throw new AuthConfigurationError(`@Authorized: unknown option(s) ${unknown.join(', ')}; it takes { scopes?, maxAgeSeconds?, factors?, sessionOnly? }.`);
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
    if (options.factors !== undefined) {
      const count = options.factors;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 3)
        throw new AuthConfigurationError('@Authorized: `factors` must be 1, 2 or 3.');
      factors = factors === undefined ? count : Math.max(factors, count);
    }
    if (options.sessionOnly !== undefined) {
      if (typeof options.sessionOnly !== 'boolean') throw new AuthConfigurationError('@Authorized: `sessionOnly` must be true or false.');
      sessionOnly ||= options.sessionOnly;
    }
  }
  const requirement: AccessRequirement = { scopes: [...new Set(scopes)], maxAgeSeconds };
  if (factors !== undefined) requirement.factors = factors;
  if (sessionOnly) requirement.sessionOnly = true;
  return requirement;
}

/** True when a sign-in at `authTime` is recent enough for `maxAgeSeconds` (no sign-in time: never). */
export function isRecentSignIn(authTime: Date | undefined, maxAgeSeconds: number, now = Date.now()): boolean {
  // JWTs carry whole seconds: a sign-in in the current second is 0 s old, not negative.
  return authTime !== undefined && now - authTime.getTime() <= maxAgeSeconds * 1000;
}
