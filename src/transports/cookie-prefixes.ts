import { AuthConfigurationError } from '../errors';

/** The attributes a cookie prefix constrains. */
export interface PrefixedCookieAttributes {
  path: string;
  domain?: string;
  secure: boolean;
}

const HOST_PREFIX = '__host-';
const SECURE_PREFIX = '__secure-';

/**
 * Refuses, at configuration time, a cookie a browser would drop for its name's prefix
 * (RFC 6265bis §4.1.3; browsers match the prefix case-insensitively): `__Secure-` needs `Secure`;
 * `__Host-` needs `Secure`, `Path=/` and no `Domain`. `owner` names the option to change.
 */
export function checkCookiePrefix(name: string, attributes: PrefixedCookieAttributes, owner: string): void {
  const lower = name.toLowerCase();
  if (lower.startsWith(HOST_PREFIX)) {
    const wrong = [
      !attributes.secure && 'it is not Secure',
      attributes.path !== '/' && `its Path is ${attributes.path}`,
      attributes.domain && 'it has a Domain',
    ]
      .filter(Boolean)
      .join(', ');
    if (wrong) {
      throw new AuthConfigurationError(
        `${owner}: browsers drop the cookie "${name}": a __Host- cookie must be Secure, have Path=/ and no Domain, but ${wrong}. ` +
          `Use the __Secure- prefix for a cookie that needs its own path or a Domain.`,
      );
    }
  } else if (lower.startsWith(SECURE_PREFIX) && !attributes.secure) {
    throw new AuthConfigurationError(`${owner}: browsers drop the cookie "${name}": a __Secure- cookie must be Secure.`);
  }
}

/**
 * A cookie named after `base` that lives on its own path: a `__Host-` base becomes `__Secure-`
 * (`__Host-rc` → `__Secure-rc_refresh`), since a `__Host-` cookie must have `Path=/`.
 */
export function ownPathCookieName(base: string, suffix: string): string {
  const name = base.toLowerCase().startsWith(HOST_PREFIX) ? `__Secure-${base.slice(HOST_PREFIX.length)}` : base;
  return `${name}${suffix}`;
}
