import type { HttpExchange } from '../http/request';

/** The body a login answers with; `null` means 204 No Content. */
export type LoginResponseBody = Record<string, unknown> | null;

/** What a login or refresh with refresh tokens also hands the client. */
export interface RefreshHandout {
  refreshToken: string;
  /** Seconds the access token lives (`expires_in`); null when it does not expire. */
  accessExpiresInSeconds: number | null;
  /** The session's absolute expiry: the refresh token is no use after it. */
  expiresAt: Date;
  /** Where the refresh cookie goes (cookie transports): the refresh route's path. */
  cookiePath: string;
}

/**
 * What a 401 or 403 challenges the client with (RFC 6750 §3, RFC 9470): nothing (no usable credential),
 * or an error code with its details.
 */
export interface ChallengeParams {
  /** Absent: no credential was sent. */
  error?: 'invalid_token' | 'insufficient_scope' | 'insufficient_user_authentication';
  errorDescription?: string;
  /** `insufficient_scope`: the scopes the route needs. */
  scope?: string[];
  /** `insufficient_user_authentication`: how recent, in seconds, the sign-in must be. */
  maxAge?: number;
  /** `insufficient_user_authentication`: the authentication context classes that would do (RFC 9470 `acr_values`). */
  acrValues?: string[];
}

/**
 * How a token travels between client and server. Implement it to add your own
 * (a custom header, a query parameter for WebSocket upgrades, …).
 */
export interface Transport {
  /** The transport's kind (`bearer`, `cookie`, …), for descriptions; the library wires nothing on it. */
  readonly scheme: string;
  /**
   * Optional: the `WWW-Authenticate` value a 401 / 403 of a request this transport could carry
   * answers with (`Bearer error="invalid_token"`). A transport with it also makes a token of its
   * that was refused a refused credential (the 401 says `invalid_token`); one without it (cookies)
   * sets no challenge.
   */
  challenge?(params: ChallengeParams): string;
  /** The token the request carries, or undefined. Must not throw. */
  readToken(exchange: HttpExchange): string | undefined;
  /** Writes the token (and the refresh token, when there is one) to the login response and returns its body. */
  loginResponse(token: string, exchange: HttpExchange, refresh?: RefreshHandout): LoginResponseBody;
  /** Undoes what the client holds (e.g. clears the cookie; `refreshCookiePath`: the refresh cookie too). */
  logoutResponse(exchange: HttpExchange, refreshCookiePath?: string): void;
  /** A refresh token the transport carries itself (the refresh cookie), or undefined. Must not throw. */
  readRefreshToken?(exchange: HttpExchange): string | undefined;
  /**
   * Refuses a request that this transport authenticated but must not accept (the cookie's
   * CSRF rule). Throws the error to answer with.
   */
  checkRequest?(exchange: HttpExchange): void;
  /**
   * Checks a request that will hand the client new credentials through this transport — login,
   * refresh, the start of a social sign-in — before anything is read or written, whatever carries
   * the credential it presents (login CSRF for cookies: a foreign page must not sign the browser
   * in as someone else). Throws the error to answer with.
   */
  checkIssuingRequest?(exchange: HttpExchange): void;
  /**
   * @deprecated Implement `checkIssuingRequest`, which also guards refresh and the start of a social
   * sign-in. Still called (for every request that issues credentials) when a transport has only this.
   */
  checkLoginRequest?(exchange: HttpExchange): void;

  // What the transport says about itself, for the OpenAPI document and the checks made at start-up.
  // Each is optional: a transport without them is described generically (see describeTransport).

  /** How it reads in a heading, e.g. "Bearer", "Cookie" (the OpenAPI tag of a login controller). */
  readonly label?: string;
  /** True when logging in through it sets cookies (a redirect after a social sign-in keeps the login). */
  readonly setsCookies?: boolean;
  /**
   * Which requests it refuses from a foreign origin (403 `CSRF_FAILED`): `issuing` those that hand
   * out credentials (login, refresh, the start of a social sign-in), `authenticated` the unsafe
   * requests it authenticates.
   */
  readonly originChecks?: { readonly issuing: boolean; readonly authenticated: boolean };
  /** Its OpenAPI 3.0 security scheme, for the backend `backendName` offering `scopes`. */
  describeSecurity?(backendName: string, scopes: Readonly<Record<string, string>>): Record<string, unknown>;
  /** The OpenAPI answers (by status) of a login through it; `refresh`: the backend has refresh tokens. */
  describeLoginResponses?(refresh: boolean): Record<string, unknown>;
}

/**
 * Runs the transport's check of a request that will issue credentials: `checkIssuingRequest`, or
 * the deprecated `checkLoginRequest` of a transport written before it, so such a transport keeps
 * its login CSRF defence (now on every issuing route) instead of silently losing it.
 */
export function checkIssuingRequest(transport: Transport, exchange: HttpExchange): void {
  if (transport.checkIssuingRequest) transport.checkIssuingRequest(exchange);
  else transport.checkLoginRequest?.(exchange);
}
