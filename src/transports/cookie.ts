import { parse as parseCookies, serialize as serializeCookie, type SerializeOptions } from 'cookie';
import { AuthConfigurationError } from '../errors';
import { appendHeader, type HttpExchange } from '../http/request';
import { checkSameOrigin, isUnsafeMethod, normaliseOrigins } from './csrf';
import type { LoginResponseBody, Transport } from './transport';

export interface CookieTransportOptions {
  /** Default `rcauth`. */
  cookieName?: string;
  /** Seconds; the cookie's `Max-Age`. Default 3600. `null` makes a session cookie. */
  cookieMaxAge?: number | null;
  /** Default `/`. */
  cookiePath?: string;
  cookieDomain?: string;
  /** Default true. Turn off only for plain-http development. */
  cookieSecure?: boolean;
  /** Default true: scripts cannot read the token. */
  cookieHttpOnly?: boolean;
  /** Default `lax`. */
  cookieSameSite?: 'lax' | 'strict' | 'none';
  /** Origins besides the app's own that may send cookie-authenticated unsafe requests. */
  trustedOrigins?: string[];
}

/**
 * The token in a cookie (default `rcauth`; `HttpOnly; Secure; SameSite=Lax; Path=/`). Login
 * answers 204 + `Set-Cookie`; unsafe requests it authenticates must pass the CSRF origin rule.
 */
export class CookieTransport implements Transport {
  readonly scheme = 'cookie';
  readonly cookieName: string;
  readonly cookieMaxAge: number | null;
  private readonly attributes: SerializeOptions;
  private readonly trustedOrigins: Set<string>;

  constructor(options: CookieTransportOptions = {}) {
    this.cookieName = options.cookieName ?? 'rcauth';
    this.cookieMaxAge = options.cookieMaxAge === undefined ? 3600 : options.cookieMaxAge;
    this.attributes = {
      path: options.cookiePath ?? '/',
      domain: options.cookieDomain,
      secure: options.cookieSecure ?? true,
      httpOnly: options.cookieHttpOnly ?? true,
      sameSite: options.cookieSameSite ?? 'lax',
    };
    if (this.attributes.sameSite === 'none' && !this.attributes.secure) {
      throw new AuthConfigurationError('CookieTransport: SameSite=None cookies must be Secure.');
    }
    if (this.cookieName.startsWith('__Host-') && (this.attributes.domain || this.attributes.path !== '/' || !this.attributes.secure)) {
      throw new AuthConfigurationError('CookieTransport: a __Host- cookie must be Secure, have Path=/ and no Domain.');
    }
    if (this.cookieName.startsWith('__Secure-') && !this.attributes.secure) {
      throw new AuthConfigurationError('CookieTransport: a __Secure- cookie must be Secure.');
    }
    this.trustedOrigins = normaliseOrigins(options.trustedOrigins ?? []);
  }

  readToken(exchange: HttpExchange): string | undefined {
    const header = exchange.header('cookie');
    if (!header || header.length > 16384) return undefined;
    try {
      const value = parseCookies(header)[this.cookieName];
      return value ? value : undefined;
    } catch {
      return undefined;
    }
  }

  loginResponse(token: string, exchange: HttpExchange): LoginResponseBody {
    const maxAge = this.cookieMaxAge === null ? undefined : this.cookieMaxAge;
    appendHeader(exchange.rawResponse, 'Set-Cookie', serializeCookie(this.cookieName, token, { ...this.attributes, maxAge }));
    exchange.rawResponse.setHeader('Cache-Control', 'no-store');
    return null;
  }

  logoutResponse(exchange: HttpExchange): void {
    appendHeader(exchange.rawResponse, 'Set-Cookie', serializeCookie(this.cookieName, '', { ...this.attributes, maxAge: 0, expires: new Date(0) }));
  }

  checkRequest(exchange: HttpExchange): void {
    if (isUnsafeMethod(exchange.method)) checkSameOrigin(exchange, this.trustedOrigins);
  }

  /** Login CSRF: a foreign page must not log the browser into the attacker's account. */
  checkLoginRequest(exchange: HttpExchange): void {
    checkSameOrigin(exchange, this.trustedOrigins);
  }
}
