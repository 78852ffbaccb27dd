import type { HttpExchange } from '../http/request';
import type { ChallengeParams, LoginResponseBody, RefreshHandout, Transport } from './transport';
import { LOGIN_TOKEN_SCHEMA, REFRESHED_LOGIN_TOKEN_SCHEMA } from '../openapi/library-schemas';

export interface BearerTransportOptions {
  /** Where clients log in (used in OpenAPI docs and by the example). */
  tokenUrl: string;
}

const BEARER = /^bearer +([^ ]+) *$/i;

/** `Authorization: Bearer <token>` (RFC 6750); login answers `{access_token, token_type}`. */
export class BearerTransport implements Transport {
  readonly scheme = 'bearer';
  readonly tokenUrl: string;
  readonly label = 'Bearer';
  readonly setsCookies = false;
  readonly originChecks = { issuing: false, authenticated: false };

  constructor(options: BearerTransportOptions) {
    this.tokenUrl = options.tokenUrl;
  }

  readToken(exchange: HttpExchange): string | undefined {
    const header = exchange.header('authorization');
    if (!header) return undefined; // length is the strategy's to judge, so an oversized token counts as rejected
    const match = BEARER.exec(header);
    return match ? match[1] : undefined;
  }

  loginResponse(token: string, exchange: HttpExchange, refresh?: RefreshHandout): LoginResponseBody {
    exchange.rawResponse.setHeader('Cache-Control', 'no-store');
    exchange.rawResponse.setHeader('Pragma', 'no-cache');
    if (!refresh) return { access_token: token, token_type: 'bearer' };
    const body: Record<string, unknown> = { access_token: token, token_type: 'bearer' };
    if (refresh.accessExpiresInSeconds !== null) body.expires_in = refresh.accessExpiresInSeconds;
    body.refresh_token = refresh.refreshToken;
    return body;
  }

  logoutResponse(): void {}

  /** RFC 6750 §3 (and RFC 9470's `max_age` for a step-up): `Bearer`, or `Bearer error="…"` with its details. */
  challenge(params: ChallengeParams): string {
    return bearerChallenge(params);
  }
  /** An OAuth2 password flow at `tokenUrl`: what Swagger UI's "Authorize" uses. */
  describeSecurity(backendName: string, scopes: Readonly<Record<string, string>>): Record<string, unknown> {
    return {
      type: 'oauth2',
      description: `Backend "${backendName}": log in at ${this.tokenUrl} (username = email), then send \`Authorization: Bearer <access_token>\`.`,
      flows: { password: { tokenUrl: this.tokenUrl, scopes: { ...scopes } } },
    };
  }

  describeLoginResponses(refresh: boolean): Record<string, unknown> {
    return bearerLoginResponses(refresh);
  }
}

/** RFC 6750 §3 (and RFC 9470's `max_age` for a step-up): `Bearer`, or `Bearer error="…"` with its details. */
export function bearerChallenge(params: ChallengeParams): string {
  if (!params.error) return 'Bearer';
  const parts = [`error="${params.error}"`];
  if (params.errorDescription !== undefined) parts.push(`error_description="${params.errorDescription}"`);
  if (params.scope !== undefined) parts.push(`scope="${params.scope.join(' ')}"`);
  if (params.maxAge !== undefined) parts.push(`max_age=${params.maxAge}`);
  if (params.acrValues !== undefined) parts.push(`acr_values="${params.acrValues.join(' ')}"`);
  return `Bearer ${parts.join(', ')}`;
}

/** The OpenAPI answer of a login through a bearer transport: the access token (and the refresh token). */
export function bearerLoginResponses(refresh: boolean): Record<string, unknown> {
  const schema = refresh ? REFRESHED_LOGIN_TOKEN_SCHEMA : LOGIN_TOKEN_SCHEMA;
  return {
    '200': {
      description: 'Logged in (bearer backend): the access token. `Cache-Control: no-store`.',
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
    },
  };
}
