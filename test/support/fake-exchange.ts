import type { HttpExchange } from '../../src';

/**
 * An `HttpExchange` with no server behind it, for tests of one part (a transport, the
 * authenticator) in isolation; the end-to-end suites cover the same parts through real apps.
 */
export class FakeExchange implements HttpExchange {
  readonly raw: any;
  readonly rawResponse: any;
  readonly parsedBody = undefined;
  readonly rawBodyText = undefined;
  readonly request = undefined;
  readonly response = undefined;
  status: number | undefined;
  /** What the response was given, header name in lower case. */
  readonly sent = new Map<string, unknown>();

  constructor(
    private readonly headers: Record<string, string> = {},
    readonly method = 'GET',
    readonly protocol = 'https',
    readonly host: string | undefined = 'app.example',
    readonly ip: string | undefined = '203.0.113.9',
  ) {
    this.raw = { method, url: '/auth/cookie/login', headers };
    const sent = this.sent;
    this.rawResponse = {
      headersSent: false,
      getHeader: (name: string) => sent.get(name.toLowerCase()),
      setHeader: (name: string, value: unknown) => void sent.set(name.toLowerCase(), value),
    };
  }

  header(name: string): string | undefined {
    const key = Object.keys(this.headers).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : this.headers[key];
  }

  setStatus(code: number): void {
    this.status = code;
  }

  /** The Set-Cookie values sent, as a list. */
  get setCookies(): string[] {
    const value = this.sent.get('set-cookie');
    return value === undefined ? [] : ([] as string[]).concat(value as string | string[]);
  }
}
