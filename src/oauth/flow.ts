import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import { parse as parseCookies, serialize as serializeCookie, type SerializeOptions } from 'cookie';
import { BadRequestError, ErrorCode } from '../errors';
import { appendHeader, type HttpExchange } from '../http/request';
import { checkCookiePrefix } from '../transports/cookie-prefixes';
import type { OAuthStateRecord, OAuthStateStore } from './state-store';

/** How long a started sign-in may wait for its callback. */
export const OAUTH_STATE_LIFETIME_SECONDS = 600;

export interface StartedFlow {
  state: string;
  codeChallenge: string;
  nonce: string;
  /** What the store keeps. */
  record: OAuthStateRecord;
  /** The browser-binding value, sent only in the cookie. */
  binding: string;
}

export interface FlowCookieOptions {
  /** The login flow's cookie; the associate flow's adds `_associate`. */
  name: string;
  /** The controller's route, so the cookie goes nowhere else. */
  path: string;
  secure: boolean;
}

/**
 * The state of authorization flows. Starting one draws a random `state`, PKCE verifier, nonce and
 * a browser-binding value; the binding goes to the browser in an HttpOnly cookie, the rest stays
 * server-side under the state (only the binding's digest is kept). Finishing one takes the state
 * from the store (so it works once), and accepts it only with the same browser's cookie —
 * compared in constant time — before it expires, for the same purpose and (associate) user.
 */
export class OAuthFlows {
  constructor(
    private readonly store: OAuthStateStore,
    private readonly cookie: FlowCookieOptions,
  ) {
    // Path is the controller's route: a __Host- name (Path=/ only) would be dropped by browsers.
    for (const purpose of ['login', 'associate'] as const) {
      checkCookiePrefix(this.cookieName(purpose), { path: cookie.path, secure: cookie.secure }, 'OAuthController stateCookieName');
    }
  }

  /** Draws a new flow's secrets; nothing is stored or sent until `begin`. */
  create(purpose: OAuthStateRecord['purpose'], userId?: string): StartedFlow {
    const codeVerifier = randomToken(); // 43 characters of base64url: a valid RFC 7636 verifier
    const binding = randomToken();
    const nonce = randomToken();
    return {
      state: randomToken(),
      codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      nonce,
      record: {
        purpose,
        bindingDigest: digest(binding).toString('hex'),
        codeVerifier,
        nonce,
        userId,
        expiresAt: Date.now() + OAUTH_STATE_LIFETIME_SECONDS * 1000,
      },
      binding,
    };
  }

  /** Stores the flow under its state and gives the browser its binding cookie. */
  async begin(exchange: HttpExchange, flow: StartedFlow): Promise<void> {
    await this.store.save(flow.state, flow.record, OAUTH_STATE_LIFETIME_SECONDS);
    appendHeader(
      exchange.rawResponse,
      'Set-Cookie',
      serializeCookie(this.cookieName(flow.record.purpose), flow.binding, { ...this.attributes(), maxAge: OAUTH_STATE_LIFETIME_SECONDS }),
    );
    exchange.rawResponse.setHeader('Cache-Control', 'no-store');
  }

  /** The flow's record; throws 400 `OAUTH_INVALID_STATE` otherwise. The state is used up either way. */
  async finish(exchange: HttpExchange, state: unknown, purpose: OAuthStateRecord['purpose'], userId?: string): Promise<OAuthStateRecord> {
    const name = this.cookieName(purpose);
    appendHeader(exchange.rawResponse, 'Set-Cookie', serializeCookie(name, '', { ...this.attributes(), maxAge: 0, expires: new Date(0) }));
    const invalid = () =>
      new BadRequestError(ErrorCode.OAUTH_INVALID_STATE, 'The sign-in state is missing, expired, already used or from another browser. Start again.');
    if (typeof state !== 'string' || state.length === 0 || state.length > 128) throw invalid();
    const record = await this.store.take(state);
    const binding = readCookie(exchange, name);
    if (!record || !binding) throw invalid();
    const expected = Buffer.from(record.bindingDigest, 'hex');
    const actual = digest(binding);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw invalid();
    if (record.expiresAt <= Date.now() || record.purpose !== purpose) throw invalid();
    if (purpose === 'associate' && record.userId !== userId) throw invalid();
    return record;
  }

  private cookieName(purpose: OAuthStateRecord['purpose']): string {
    return purpose === 'associate' ? `${this.cookie.name}_associate` : this.cookie.name;
  }

  private attributes(): SerializeOptions {
    return { path: this.cookie.path, httpOnly: true, secure: this.cookie.secure, sameSite: 'lax' };
  }
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function readCookie(exchange: HttpExchange, name: string): string | undefined {
  const header = exchange.header('cookie');
  if (!header || header.length > 16384) return undefined;
  try {
    return parseCookies(header)[name] || undefined;
  } catch {
    return undefined;
  }
}
