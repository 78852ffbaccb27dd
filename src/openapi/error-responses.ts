import type { ErrorCode } from '../errors';
import type { JsonObject } from './document-types';

/** The schema of every error the library answers: `{code, message[, details]}`. */
export const AUTH_ERROR_SCHEMA = 'AuthError';
export const AUTH_ERROR_SCHEMA_OBJECT: JsonObject = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'Machine-readable; switch on it.' },
    message: { type: 'string', description: 'For humans; may change.' },
    details: { description: 'Per-field problems of a VALIDATION_ERROR.' },
  },
};

/** The `WWW-Authenticate` header of 401 / 403 answers (RFC 6750), sent when a bearer backend is configured. */
export const WWW_AUTHENTICATE_HEADER = 'WWW-Authenticate';
export const WWW_AUTHENTICATE_HEADER_OBJECT: JsonObject = {
  description: 'RFC 6750 challenge, e.g. `Bearer`, `Bearer error="invalid_token"` or `Bearer error="insufficient_scope"`.',
  schema: { type: 'string' },
};

/** Sent with 429 and 503 answers. */
export const RETRY_AFTER_HEADER = 'Retry-After';
export const RETRY_AFTER_HEADER_OBJECT: JsonObject = { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } };

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated: no or invalid credentials',
  403: 'Forbidden',
  404: 'Not found',
  413: 'Request body too large',
  415: 'Unsupported request body type',
  429: 'Too many attempts (see `Retry-After`)',
  502: 'The sign-in provider failed',
  503: 'The authentication store is unavailable (see `Retry-After`)',
};

interface ErrorAnswer {
  codes: Set<string>;
  headers: Set<string>;
}

/**
 * The error answers of one operation, collected from several rules (the route's own codes,
 * `@Authorized`, CSRF, rate limits…) and rendered as one response per status whose `code` is an enum.
 */
export class ErrorAnswers {
  private readonly byStatus = new Map<number, ErrorAnswer>();

  add(status: number, codes: readonly ErrorCode[], headers: readonly string[] = []): this {
    const answer = this.byStatus.get(status) ?? { codes: new Set<string>(), headers: new Set<string>() };
    for (const code of codes) answer.codes.add(code);
    for (const header of headers) answer.headers.add(header);
    if (status === 429 || status === 503) answer.headers.add(RETRY_AFTER_HEADER);
    this.byStatus.set(status, answer);
    return this;
  }

  /** Responses keyed by status, for an operation's `responses`. */
  render(): JsonObject {
    const responses: JsonObject = {};
    for (const status of [...this.byStatus.keys()].sort((a, b) => a - b)) {
      const { codes, headers } = this.byStatus.get(status)!;
      const codeList = [...codes].sort();
      const response: JsonObject = {
        description: `${STATUS_TEXT[status] ?? 'Error'}: ${codeList.join(', ')}`,
        content: {
          'application/json': {
            schema: {
              allOf: [{ $ref: `#/components/schemas/${AUTH_ERROR_SCHEMA}` }, { type: 'object', properties: { code: { type: 'string', enum: codeList } } }],
            },
          },
        },
      };
      if (headers.size > 0) {
        response.headers = Object.fromEntries([...headers].map((h) => [h, { $ref: `#/components/headers/${h}` }]));
      }
      responses[String(status)] = response;
    }
    return responses;
  }
}
