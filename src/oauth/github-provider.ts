import { AuthConfigurationError, BadRequestError, ErrorCode, OAuthProviderError } from '../errors';
import { type AuthorizationCallback, type AuthorizationRequest, DEFAULT_PROVIDER_TIMEOUT_SECONDS, type OAuthProfile, type OAuthProvider } from './provider';

export interface GitHubProviderOptions {
  clientId: string;
  clientSecret: string;
  /** Default `github`. */
  name?: string;
  /** Default `read:user user:email` (needed to read the email addresses). */
  scopes?: string[];
  /** Default `https://github.com` (GitHub Enterprise Server: your server). */
  webBaseUrl?: string;
  /** Default `https://api.github.com` (GitHub Enterprise Server: `https://HOST/api/v3`). */
  apiBaseUrl?: string;
  /** Time limit of each HTTP call to GitHub. Default 10 s. */
  timeoutSeconds?: number;
}

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * GitHub's OAuth2 (GitHub has no OpenID Connect for users): the code is redeemed with PKCE
 * S256, then `GET /user` gives the account id and `GET /user/emails` the addresses. Only the
 * primary address counts, and only GitHub's own `verified: true` makes it verified.
 */
export class GitHubProvider implements OAuthProvider {
  readonly name: string;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly scope: string;
  private readonly webBaseUrl: string;
  private readonly apiBaseUrl: string;
  private readonly timeoutMs: number;

  constructor(options: GitHubProviderOptions) {
    if (!options.clientId || !options.clientSecret) throw new AuthConfigurationError('GitHubProvider: give clientId and clientSecret.');
    this.name = options.name ?? 'github';
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.scope = (options.scopes ?? ['read:user', 'user:email']).join(' ');
    this.webBaseUrl = trimSlash(options.webBaseUrl ?? 'https://github.com');
    this.apiBaseUrl = trimSlash(options.apiBaseUrl ?? 'https://api.github.com');
    this.timeoutMs = (options.timeoutSeconds ?? DEFAULT_PROVIDER_TIMEOUT_SECONDS) * 1000;
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<string> {
    const url = new URL(`${this.webBaseUrl}/login/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: this.clientId,
      redirect_uri: request.redirectUri,
      scope: this.scope,
      state: request.state,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
      allow_signup: 'true',
    }).toString();
    return url.toString();
  }

  async fetchProfile(callback: AuthorizationCallback): Promise<OAuthProfile> {
    const code = callback.query.get('code') ?? '';
    const accessToken = await this.redeem(code, callback);
    const user = await this.api<{ id?: unknown; email?: unknown }>('/user', accessToken);
    if ((typeof user.id !== 'number' && typeof user.id !== 'string') || user.id === '') throw new OAuthProviderError();
    const emails = await this.api<unknown>('/user/emails', accessToken);
    const primary = Array.isArray(emails) ? (emails as GitHubEmail[]).find((e) => e && e.primary === true && typeof e.email === 'string') : undefined;
    if (primary) return { accountId: String(user.id), email: primary.email, emailVerified: primary.verified === true };
    return { accountId: String(user.id), email: typeof user.email === 'string' && user.email ? user.email : undefined, emailVerified: false };
  }

  private async redeem(code: string, callback: AuthorizationCallback): Promise<string> {
    const body = await this.call<{ access_token?: unknown; error?: unknown }>(`${this.webBaseUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: this.clientId,
        client_secret: this.clientSecret,
        code,
        redirect_uri: callback.redirectUri,
        code_verifier: callback.codeVerifier,
      }).toString(),
    });
    // GitHub answers a refused code with 200 and `{"error": "bad_verification_code"}`.
    if (body.error === 'bad_verification_code' || body.error === 'invalid_grant') {
      throw new BadRequestError(ErrorCode.OAUTH_INVALID_CODE, 'The authorization code is invalid, expired or already used.');
    }
    if (typeof body.access_token !== 'string' || !body.access_token) throw new OAuthProviderError();
    return body.access_token;
  }

  private api<T>(path: string, accessToken: string): Promise<T> {
    return this.call<T>(`${this.apiBaseUrl}${path}`, {
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${accessToken}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'routing-controllers-auth',
      },
    });
  }

  /** One call with a time limit; any failure is a 502 that carries nothing of GitHub's answer. */
  private async call<T>(url: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch {
      throw new OAuthProviderError();
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new OAuthProviderError();
    }
    try {
      return (await response.json()) as T;
    } catch {
      throw new OAuthProviderError();
    }
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
