import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'crypto';
import { AuthConfigurationError, CsrfError } from '../errors';
import { assertStrongSecret } from '../security/secret-strength';
import type { HttpExchange } from '../http/request';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.origin === 'null' ? undefined : parsed.origin;
  } catch {
    return undefined;
  }
}

/** What a refused request was about to do: log in, or use the session cookie. */
export type CsrfPurpose = 'login' | 'request';

/**
 * The cookie's CSRF rule: a browser request is refused when `Sec-Fetch-Site` is `cross-site`,
 * or when its `Origin` (else its `Referer`) is neither the app's own origin nor trusted.
 * A request with none of the three headers comes from a non-browser client and passes.
 */
export function checkSameOrigin(exchange: HttpExchange, trustedOrigins: ReadonlySet<string>, purpose: CsrfPurpose = 'request'): void {
  const origin = exchange.header('origin');
  const referer = exchange.header('referer');
  const claimed = origin !== undefined ? origin : referer;
  // `Origin: null` (sandboxed frames, some redirects) and unparsable values are foreign.
  const claimedOrigin = claimed === undefined ? undefined : originOf(claimed);

  const fetchSite = exchange.header('sec-fetch-site');
  if (fetchSite !== undefined && fetchSite.toLowerCase() === 'cross-site') throw refusal(purpose, claimedOrigin, 'the browser says it is cross-site');
  if (claimed === undefined) return;
  if (claimedOrigin === undefined) throw refusal(purpose, undefined, 'its origin is null or unreadable');
  if (trustedOrigins.has(claimedOrigin)) return;
  const host = exchange.host;
  const ownOrigin = host ? originOf(`${exchange.protocol}://${host}`) : undefined;
  if (ownOrigin === undefined || claimedOrigin !== ownOrigin)
    throw refusal(purpose, claimedOrigin, `it is not this app's origin${ownOrigin ? ` (${ownOrigin})` : ''}`);
}

/**
 * A refusal that names the refused origin and the fix: a developer meeting it from a dev front end
 * (`http://localhost:5173`) learns what to configure. The origin is the parsed one, never the raw header.
 */
function refusal(purpose: CsrfPurpose, refusedOrigin: string | undefined, why: string): CsrfError {
  const from = refusedOrigin ? `from ${refusedOrigin}` : 'from an unknown origin';
  const trust = refusedOrigin ? `CookieTransport({ trustedOrigins: ['${refusedOrigin}'] })` : 'CookieTransport({ trustedOrigins })';
  if (purpose === 'login') {
    return new CsrfError(`Cookie login ${from} refused: ${why}. If that front end is yours, add it to ${trust}.`);
  }
  return new CsrfError(
    `Cross-site request ${from} refused: ${why}, so the session cookie cannot authenticate it. If that front end is yours, add it to ${trust} or send the CookieTransport csrfToken header.`,
  );
}

/** Requests whose right to receive session cookies is established (by the origin check, or a social sign-in's state). */
const vouchedFor = new WeakSet<object>();

/**
 * Marks this request as allowed to receive the session cookies: it passed the login origin check,
 * or it is a social sign-in callback whose single-use state cookie, bound to this browser, was set
 * by an authorization request that passed that check (the provider's redirect itself arrives
 * `Sec-Fetch-Site: cross-site`).
 */
export function vouchForOrigin(exchange: HttpExchange): void {
  vouchedFor.add(exchange.raw);
}

export function isOriginVouchedFor(exchange: HttpExchange): boolean {
  return vouchedFor.has(exchange.raw);
}

/** Normalises configured origins (`https://app.example.com/` → `https://app.example.com`). */
export function normaliseOrigins(origins: readonly string[]): Set<string> {
  return new Set(
    origins.map((o) => {
      const normalised = originOf(o);
      if (!normalised) throw new AuthConfigurationError(`CookieTransport trustedOrigins: "${o}" is not an origin (scheme://host[:port]).`);
      return normalised;
    }),
  );
}

/** Signed double-submit CSRF tokens: HMAC-SHA256 of the session token, compared in constant time. */
export class DoubleSubmitTokens {
  private readonly key: KeyObject;
  readonly headerName: string;

  constructor(secret: string, headerName = 'x-csrf-token') {
    assertStrongSecret(secret, 'CookieTransport: csrfToken.secret');
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
    this.headerName = headerName.toLowerCase();
  }

  issue(sessionToken: string): string {
    return createHmac('sha256', this.key).update(sessionToken).digest('base64url');
  }

  verify(sessionToken: string, exchange: HttpExchange): boolean {
    const given = exchange.header(this.headerName);
    if (!given || given.length > 128) return false;
    const expected = Buffer.from(this.issue(sessionToken));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
