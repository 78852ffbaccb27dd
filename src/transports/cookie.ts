import { parse as parseCookies, serialize as serializeCookie, type SerializeOptions } from 'cookie';
import { AuthConfigurationError } from '../errors';
import { appendHeader, type HttpExchange } from '../http/request';
import { checkCookiePrefix, ownPathCookieName } from './cookie-prefixes';
import { checkSameOrigin, DoubleSubmitTokens, isOriginVouchedFor, isUnsafeMethod, normaliseOrigins, vouchForOrigin } from './csrf';
import type { LoginResponseBody, RefreshHandout, Transport } from './transport';
import { lifetimeOption } from '../options';

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
  /**
   * Signed double-submit tokens, for apps that must accept cookie-authenticated unsafe requests
   * from origins they cannot list. Login then also answers `X-CSRF-Token` (and sets a readable
   * `<cookieName>_csrf` cookie); a request sending that value back in the header passes the
   * CSRF check whatever its origin. The value is an HMAC of the session token under `secret`,
   * so it cannot be forged and dies with the session.
   */
  csrfToken?: { secret: string; headerName?: string };
}

/**
 * The token in a cookie (default `rcauth`; `HttpOnly; Secure; SameSite=Lax; Path=/`). Login
 * answers 204 + `Set-Cookie`; unsafe requests it authenticates must pass the CSRF origin rule.
 */
export class CookieTransport implements Transport {
  readonly scheme = 'cookie';
  readonly label = 'Cookie';
  readonly setsCookies = true;
  readonly originChecks = { issuing: true, authenticated: true };
  readonly cookieName: string;
  readonly cookieMaxAge: number | null;
  private readonly attributes: SerializeOptions;
  private readonly trustedOrigins: Set<string>;
  private readonly doubleSubmit: DoubleSubmitTokens | undefined;

  constructor(options: CookieTransportOptions = {}) {
    this.cookieName = options.cookieName ?? 'rcauth';
    // null: a session cookie (no Max-Age), gone when the browser closes.
    this.cookieMaxAge = lifetimeOption(options.cookieMaxAge, 'CookieTransport: cookieMaxAge', true);
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
    const prefixed = { path: this.attributes.path!, domain: this.attributes.domain, secure: this.attributes.secure! };
    checkCookiePrefix(this.cookieName, prefixed, 'CookieTransport cookieName');
    // The other cookies share these attributes; the refresh cookie's own path is allowed by its name.
    checkCookiePrefix(this.refreshCookieName, { ...prefixed, path: '/' }, 'CookieTransport refresh cookie');
    checkCookiePrefix(this.csrfCookieName, prefixed, 'CookieTransport csrfToken cookie');
    this.trustedOrigins = normaliseOrigins(options.trustedOrigins ?? []);
    this.doubleSubmit = options.csrfToken ? new DoubleSubmitTokens(options.csrfToken.secret, options.csrfToken.headerName) : undefined;
  }

  readToken(exchange: HttpExchange): string | undefined {
    return this.readCookie(exchange, this.cookieName);
  }

  /**
   * The refresh cookie's name: `<cookieName>_refresh`. It lives on the refresh route's path, so a
   * `__Host-` name (which requires `Path=/`) becomes `__Secure-`: `__Host-rc` → `__Secure-rc_refresh`.
   */
  get refreshCookieName(): string {
    return ownPathCookieName(this.cookieName, '_refresh');
  }

  /** The double-submit cookie's name (with `csrfToken`): `<cookieName>_csrf`. */
  get csrfCookieName(): string {
    return `${this.cookieName}_csrf`;
  }

  readRefreshToken(exchange: HttpExchange): string | undefined {
    return this.readCookie(exchange, this.refreshCookieName);
  }

  /**
   * Login CSRF: a foreign page must not sign the browser in as someone else, whatever carries the
   * credential (a password, a refresh token in the body or in the cookie). Every response that
   * sets this transport's session cookies passes it: `loginResponse` checks again when its caller
   * did not (a request a social sign-in's browser-bound state vouched for passes).
   */
  checkIssuingRequest(exchange: HttpExchange): void {
    if (isOriginVouchedFor(exchange)) return;
    checkSameOrigin(exchange, this.trustedOrigins, 'login');
    vouchForOrigin(exchange);
  }

  private readCookie(exchange: HttpExchange, name: string): string | undefined {
    const header = exchange.header('cookie');
    if (!header || header.length > 16384) return undefined;
    try {
      const value = parseCookies(header)[name];
      return value ? value : undefined;
    } catch {
      return undefined;
    }
  }

  loginResponse(token: string, exchange: HttpExchange, refresh?: RefreshHandout): LoginResponseBody {
    this.checkIssuingRequest(exchange);
    if (refresh) {
      // Sent only to the refresh route, never cross-site: `HttpOnly; Secure; SameSite=Strict`.
      const maxAge = Math.max(0, Math.floor((refresh.expiresAt.getTime() - Date.now()) / 1000));
      appendHeader(
        exchange.rawResponse,
        'Set-Cookie',
        serializeCookie(this.refreshCookieName, refresh.refreshToken, {
          ...this.attributes,
          httpOnly: true,
          sameSite: 'strict',
          path: refresh.cookiePath,
          maxAge,
        }),
      );
    }
    const maxAge = this.cookieMaxAge === null ? undefined : this.cookieMaxAge;
    appendHeader(exchange.rawResponse, 'Set-Cookie', serializeCookie(this.cookieName, token, { ...this.attributes, maxAge }));
    exchange.rawResponse.setHeader('Cache-Control', 'no-store');
    if (this.doubleSubmit) {
      const csrf = this.doubleSubmit.issue(token);
      exchange.rawResponse.setHeader('X-CSRF-Token', csrf);
      // Readable by the page's scripts on purpose: it proves same-site script access, not identity.
      appendHeader(exchange.rawResponse, 'Set-Cookie', serializeCookie(this.csrfCookieName, csrf, { ...this.attributes, httpOnly: false, maxAge }));
    }
    return null;
  }

  logoutResponse(exchange: HttpExchange, refreshCookiePath?: string): void {
    appendHeader(exchange.rawResponse, 'Set-Cookie', serializeCookie(this.cookieName, '', { ...this.attributes, maxAge: 0, expires: new Date(0) }));
    if (refreshCookiePath !== undefined) {
      const cleared = { ...this.attributes, httpOnly: true, sameSite: 'strict' as const, path: refreshCookiePath, maxAge: 0, expires: new Date(0) };
      appendHeader(exchange.rawResponse, 'Set-Cookie', serializeCookie(this.refreshCookieName, '', cleared));
    }
    if (this.doubleSubmit) {
      appendHeader(
        exchange.rawResponse,
        'Set-Cookie',
        serializeCookie(this.csrfCookieName, '', { ...this.attributes, httpOnly: false, maxAge: 0, expires: new Date(0) }),
      );
    }
  }

  checkRequest(exchange: HttpExchange): void {
    if (!isUnsafeMethod(exchange.method)) return;
    if (this.doubleSubmit) {
      const token = this.readToken(exchange);
      if (token !== undefined && this.doubleSubmit.verify(token, exchange)) return;
    }
    checkSameOrigin(exchange, this.trustedOrigins);
  }

  /** An `apiKey` in the session cookie. */
  describeSecurity(backendName: string): Record<string, unknown> {
    return {
      type: 'apiKey',
      in: 'cookie',
      name: this.cookieName,
      description: `Backend "${backendName}": the HttpOnly cookie its login sets. Unsafe requests it authenticates must come from the app's own origin (else 403 CSRF_FAILED).`,
    };
  }

  describeLoginResponses(refresh: boolean): Record<string, unknown> {
    return cookieLoginResponses(refresh);
  }
}

/** The OpenAPI answer of a login through a cookie transport: 204 and the cookies. */
export function cookieLoginResponses(refresh: boolean): Record<string, unknown> {
  return {
    '204': {
      description: `Logged in (cookie backend): the session cookie is set (HttpOnly)${refresh ? ', and the refresh cookie' : ''}.`,
      headers: { 'Set-Cookie': { description: 'The session cookie.', schema: { type: 'string' } } },
    },
  };
}
