/** The pseudo-scope every superuser holds. */
export const SUPERUSER_SCOPE = 'superuser';

/** Splits an OAuth2 `scope` parameter (space-separated); undefined when none was asked for. */
export function parseScopeParameter(scope: unknown): string[] | undefined {
  if (typeof scope !== 'string') return undefined;
  const requested = scope.split(' ').filter(Boolean);
  return requested.length > 0 ? [...new Set(requested)] : undefined;
}

/** What a login grants: what was asked for and is allowed, or everything allowed. */
export function grantScopes(allowed: readonly string[], requested: readonly string[] | undefined): string[] {
  return requested === undefined ? [...allowed] : requested.filter((s) => allowed.includes(s));
}

/** `@Authorized(['a', 'b'])` passes only when the credential carries every listed scope. */
export function hasAllScopes(granted: readonly string[], required: readonly string[]): boolean {
  return required.every((s) => granted.includes(s));
}
