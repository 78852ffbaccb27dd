import { AuthConfigurationError } from '../errors';
import type { HttpExchange } from '../http/request';
import { bearerChallenge } from './bearer';
import type { ChallengeParams, LoginResponseBody, Transport } from './transport';

export interface ApiKeyTransportOptions {
  /** Also read the key from this header (e.g. `X-API-Key`), before `Authorization`. Default: none. */
  header?: string;
  /** Read `Authorization: Bearer <key>`. Default true. */
  bearer?: boolean;
}

const BEARER = /^bearer +([^ ]+) *$/i;
const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;

/**
 * How API keys travel: `Authorization: Bearer <key>` (RFC 6750, what most HTTP clients send) and,
 * when configured, a header of its own such as `X-API-Key`. Pair it with `ApiKeyStrategy`. Keys do
 * not log in or out: they are made with `POST /api-keys` and end with `DELETE /api-keys/:id`.
 */
export class ApiKeyTransport implements Transport {
  readonly scheme = 'apiKey';
  readonly label = 'API key';
  readonly setsCookies = false;
  readonly originChecks = { issuing: false, authenticated: false };
  /** The header read besides `Authorization`, lower-cased; undefined: none. */
  readonly header: string | undefined;
  readonly bearer: boolean;
  /** The header's name as configured, for the document. */
  private readonly headerLabel: string | undefined;
  /** RFC 6750's challenge, when keys come as bearer tokens (a 401 says `Bearer error="invalid_token"`). */
  readonly challenge?: (params: ChallengeParams) => string;

  constructor(options: ApiKeyTransportOptions = {}) {
    if (options.header !== undefined && (typeof options.header !== 'string' || !HEADER_NAME.test(options.header))) {
      throw new AuthConfigurationError('ApiKeyTransport: `header` must be a header name, e.g. "X-API-Key".');
    }
    if (options.header?.toLowerCase() === 'authorization') {
      throw new AuthConfigurationError('ApiKeyTransport: `Authorization` is read with `bearer: true`; `header` names another one, e.g. "X-API-Key".');
    }
    this.header = options.header?.toLowerCase();
    this.headerLabel = options.header;
    this.bearer = options.bearer ?? true;
    if (!this.bearer && this.header === undefined)
      throw new AuthConfigurationError('ApiKeyTransport: with `bearer: false`, give a `header` to read keys from.');
    if (this.bearer) this.challenge = bearerChallenge;
  }

  readToken(exchange: HttpExchange): string | undefined {
    if (this.header !== undefined) {
      const value = exchange.header(this.header);
      // Length is the strategy's to judge, so an oversized value counts as a refused key.
      if (value) return value.trim();
    }
    if (!this.bearer) return undefined;
    const authorization = exchange.header('authorization');
    if (!authorization) return undefined;
    const match = BEARER.exec(authorization);
    return match ? match[1] : undefined;
  }

  loginResponse(): LoginResponseBody {
    throw new AuthConfigurationError('ApiKeyTransport: API keys do not log in. Make them with ApiKeysController (POST /api-keys).');
  }

  logoutResponse(): void {}

  /** An `apiKey` in its header; keys sent only as bearer tokens are an HTTP bearer scheme. */
  describeSecurity(backendName: string, scopes: Readonly<Record<string, string>>): Record<string, unknown> {
    const names = Object.keys(scopes);
    const scopeText = names.length > 0 ? ` A key carries some of the scopes ${names.map((s) => `\`${s}\``).join(', ')} (those its owner still has).` : '';
    const made = 'Make a key with `POST /api-keys` (it is shown once).';
    if (this.headerLabel !== undefined) {
      const bearer = this.bearer ? ' (or `Authorization: Bearer <key>`)' : '';
      return {
        type: 'apiKey',
        in: 'header',
        name: this.headerLabel,
        description: `Backend "${backendName}": an API key in \`${this.headerLabel}\`${bearer}. ${made}${scopeText}`,
      };
    }
    return {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'API key',
      description: `Backend "${backendName}": an API key as \`Authorization: Bearer <key>\`. ${made}${scopeText}`,
    };
  }

  /** Keys do not log in. */
  describeLoginResponses(): Record<string, unknown> {
    return {};
  }
}
