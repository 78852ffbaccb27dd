import type { HttpExchange } from '../http/request';

/** The body a login answers with; `null` means 204 No Content. */
export type LoginResponseBody = Record<string, unknown> | null;

/**
 * How a token travels between client and server. Implement it to add your own
 * (a custom header, a query parameter for WebSocket upgrades, …).
 */
export interface Transport {
  /** `bearer` transports make 401s carry `WWW-Authenticate: Bearer`. */
  readonly scheme: string;
  /** The token the request carries, or undefined. Must not throw. */
  readToken(exchange: HttpExchange): string | undefined;
  /** Writes the token to the login response (headers) and returns its body. */
  loginResponse(token: string, exchange: HttpExchange): LoginResponseBody;
  /** Undoes what the client holds (e.g. clears the cookie). */
  logoutResponse(exchange: HttpExchange): void;
  /**
   * Refuses a request that this transport authenticated but must not accept (the cookie's
   * CSRF rule). Throws the error to answer with.
   */
  checkRequest?(exchange: HttpExchange): void;
  /** Checks a login request before credentials are read (login CSRF for cookies). */
  checkLoginRequest?(exchange: HttpExchange): void;
}
