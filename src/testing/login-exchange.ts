import type { IncomingMessage, ServerResponse } from 'http';
import type { HttpExchange } from '../http/request';
import type { Transport } from '../transports/transport';

/**
 * An exchange with no server behind it: a plain non-browser request (no Origin, so a cookie
 * transport's CSRF rule lets it through) whose response headers are kept to be read back.
 */
class RecordingExchange implements HttpExchange {
  readonly raw: IncomingMessage;
  readonly rawResponse: ServerResponse;
  readonly protocol = 'https';
  readonly host = 'localhost';
  readonly ip = '127.0.0.1';
  readonly parsedBody = undefined;
  readonly rawBodyText = undefined;
  readonly request = undefined;
  readonly response = undefined;
  /** The response headers set, by lower-case name. */
  readonly sent = new Map<string, unknown>();

  constructor(
    private readonly headers: Record<string, string>,
    readonly method: string,
  ) {
    this.raw = { method, url: '/', headers: lowerCased(headers) } as unknown as IncomingMessage;
    const sent = this.sent;
    this.rawResponse = {
      headersSent: false,
      getHeader: (name: string) => sent.get(name.toLowerCase()),
      setHeader: (name: string, value: unknown) => void sent.set(name.toLowerCase(), value),
      hasHeader: (name: string) => sent.has(name.toLowerCase()),
      removeHeader: (name: string) => void sent.delete(name.toLowerCase()),
    } as unknown as ServerResponse;
  }

  header(name: string): string | undefined {
    return lowerCased(this.headers)[name.toLowerCase()];
  }

  setStatus(): void {}

  /** The cookies the response set and did not clear, as a request's `Cookie` header. */
  cookieHeader(): string | undefined {
    const setCookies = ([] as unknown[]).concat(this.sent.get('set-cookie') ?? []).map(String);
    const pairs = setCookies.map((line) => line.split(';')[0].trim()).filter((pair) => pair.indexOf('=') > 0 && pair.slice(pair.indexOf('=') + 1) !== '');
    return pairs.length > 0 ? pairs.join('; ') : undefined;
  }
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** True when a request with these headers carries `token`, as the transport reads it. */
function carries(transport: Transport, headers: Record<string, string>, token: string): boolean {
  return transport.readToken(new RecordingExchange(headers, 'GET')) === token;
}

/**
 * The headers a client sends after a login through `transport` that handed it `token`: the
 * transport writes its login response onto a recording exchange, and what it set (cookies, an
 * `access_token` in the body, a response header holding the token) becomes the request's headers,
 * confirmed by the transport's own `readToken`. Works for any transport that hands its token out
 * one of those ways.
 */
export function requestHeadersAfterLogin(transport: Transport, token: string, backendName: string): Record<string, string> {
  const login = new RecordingExchange({}, 'POST');
  const body = transport.loginResponse(token, login);
  const headers: Record<string, string> = {};
  const cookie = login.cookieHeader();
  if (cookie !== undefined) headers.Cookie = cookie;
  const bodyToken = body?.access_token;
  if (typeof bodyToken === 'string') headers.Authorization = `Bearer ${bodyToken}`;
  if (carries(transport, headers, token)) return headers;
  // A transport of its own may hand the token out in a response header it reads back on requests.
  for (const [name, value] of login.sent) if (value === token) headers[name] = token;
  if (carries(transport, headers, token)) return headers;
  throw new Error(
    `signedInHeaders: the "${backendName}" backend's transport hands its token out in no way its readToken finds again ` +
      '(a cookie, `access_token` in the login body, or a response header holding the token).',
  );
}
