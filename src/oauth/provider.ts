/** What the app learns about the person who signed in at the provider. */
export interface OAuthProfile {
  /** The provider's stable id for the account (OpenID Connect `sub`). */
  accountId: string;
  /** Undefined when the provider shares none. */
  email: string | undefined;
  /** True only when the provider itself says it verified `email`. */
  emailVerified: boolean;
}

/** The parameters of one authorization request; every flow uses PKCE S256 and a nonce. */
export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  /** The S256 challenge of the verifier kept server-side. */
  codeChallenge: string;
  nonce: string;
}

/** The callback, with what was kept for it when the flow started. */
export interface AuthorizationCallback {
  redirectUri: string;
  /** The callback's query parameters exactly as received (`code`, `state`, `iss`, …). */
  query: URLSearchParams;
  state: string;
  codeVerifier: string;
  nonce: string;
}

/**
 * A social-login provider. `OpenIdProvider` (any OpenID Connect issuer) and `GitHubProvider`
 * implement it; implement it for another plain-OAuth2 provider. Failures throw `AuthHttpError`s:
 * `OAuthProviderError` (502) for a provider that fails, 400 `OAUTH_INVALID_CODE` for a code the
 * provider refuses, 400 `OAUTH_INVALID_STATE` for a response bound to another flow.
 */
export interface OAuthProvider {
  /** Unique among the app's providers; stored with every linked account. */
  readonly name: string;
  /** The URL to send the browser to. */
  authorizationUrl(request: AuthorizationRequest): Promise<string>;
  /** Redeems the code and returns who signed in. */
  fetchProfile(callback: AuthorizationCallback): Promise<OAuthProfile>;
}

/** Default time limit of one HTTP call to a provider. */
export const DEFAULT_PROVIDER_TIMEOUT_SECONDS = 10;
