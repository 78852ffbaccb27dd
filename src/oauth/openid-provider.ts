import type * as OpenIdClient from 'openid-client';
import { AuthConfigurationError } from '../errors';
import { type AuthorizationCallback, type AuthorizationRequest, DEFAULT_PROVIDER_TIMEOUT_SECONDS, type OAuthProfile, type OAuthProvider } from './provider';
import { providerFailure } from './provider-failure';

export interface OpenIdProviderOptions {
  /** Unique among the app's providers (e.g. `google`); stored with every linked account. */
  name: string;
  /** The issuer URL; its `/.well-known/openid-configuration` is read on first use. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Default `openid email profile`; `openid` is always included. */
  scopes?: string[];
  /** Permits an `http://` issuer: local development and tests only. */
  allowInsecureRequests?: boolean;
  /** Time limit of each HTTP call to the provider. Default 10 s. */
  timeoutSeconds?: number;
}

/**
 * Any OpenID Connect issuer (Google, Microsoft, Okta, Keycloak, …), through `openid-client`:
 * discovery, authorization code flow with PKCE S256 and `nonce`, ID token validation (signature
 * against the issuer's published keys, issuer, audience, authorized party, expiry, nonce), and the userinfo endpoint
 * when the ID token carries no email.
 */
export class OpenIdProvider implements OAuthProvider {
  readonly name: string;
  readonly issuer: string;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly scope: string;
  private readonly allowInsecureRequests: boolean;
  private readonly timeoutSeconds: number;
  private configuration: Promise<OpenIdClient.Configuration> | undefined;

  constructor(options: OpenIdProviderOptions) {
    if (!options.name) throw new AuthConfigurationError('OpenIdProvider: give a name.');
    if (!options.clientId || !options.clientSecret) throw new AuthConfigurationError(`OpenIdProvider "${options.name}": give clientId and clientSecret.`);
    let issuer: URL;
    try {
      issuer = new URL(options.issuer);
    } catch {
      throw new AuthConfigurationError(`OpenIdProvider "${options.name}": issuer "${options.issuer}" is not a URL.`);
    }
    if (issuer.protocol !== 'https:' && !options.allowInsecureRequests) {
      throw new AuthConfigurationError(`OpenIdProvider "${options.name}": the issuer must be https (allowInsecureRequests is for local development).`);
    }
    this.name = options.name;
    this.issuer = options.issuer;
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.scope = [...new Set(['openid', ...(options.scopes ?? ['email', 'profile'])])].join(' ');
    this.allowInsecureRequests = options.allowInsecureRequests ?? false;
    this.timeoutSeconds = options.timeoutSeconds ?? DEFAULT_PROVIDER_TIMEOUT_SECONDS;
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<string> {
    const config = await this.discover();
    return openIdClient()
      .buildAuthorizationUrl(config, {
        redirect_uri: request.redirectUri,
        scope: this.scope,
        state: request.state,
        nonce: request.nonce,
        code_challenge: request.codeChallenge,
        code_challenge_method: 'S256',
      })
      .toString();
  }

  async fetchProfile(callback: AuthorizationCallback): Promise<OAuthProfile> {
    try {
      const config = await this.discover();
      const currentUrl = new URL(callback.redirectUri);
      currentUrl.search = callback.query.toString();
      const tokens = await openIdClient().authorizationCodeGrant(
        config,
        currentUrl,
        { pkceCodeVerifier: callback.codeVerifier, expectedState: callback.state, expectedNonce: callback.nonce, idTokenExpected: true },
        { redirect_uri: callback.redirectUri },
      );
      const claims = tokens.claims();
      if (!claims) throw new Error('no ID token');
      // openid-client checks `azp` only when `aud` lists several clients; OpenID Connect Core
      // §3.1.3.7 has the client refuse any `azp` that is not its own: the token was issued to another.
      if (claims.azp !== undefined && claims.azp !== this.clientId) throw new Error('the ID token was issued to another client (azp)');
      let email = typeof claims.email === 'string' ? claims.email : undefined;
      let verified = isTrue(claims.email_verified);
      if (!email) {
        const info = await openIdClient().fetchUserInfo(config, tokens.access_token, claims.sub);
        email = typeof info.email === 'string' ? info.email : undefined;
        verified = isTrue(info.email_verified);
      }
      return { accountId: claims.sub, email: email || undefined, emailVerified: Boolean(email) && verified };
    } catch (error) {
      throw providerFailure(error);
    }
  }

  /** Discovery once, shared by every request; a failed one is retried by the next request. */
  private discover(): Promise<OpenIdClient.Configuration> {
    const client = openIdClient();
    this.configuration ??= client
      .discovery(new URL(this.issuer), this.clientId, undefined, client.ClientSecretPost(this.clientSecret), {
        // ID token signatures are checked against the issuer's keys too, not only trusted from TLS.
        execute: this.allowInsecureRequests ? [client.allowInsecureRequests, client.enableNonRepudiationChecks] : [client.enableNonRepudiationChecks],
        timeout: this.timeoutSeconds,
      })
      .catch((error) => {
        this.configuration = undefined;
        throw providerFailure(error);
      });
    return this.configuration;
  }
}

/** `email_verified` is a boolean; a few providers send the string `"true"`. */
function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

let loadedClient: typeof OpenIdClient | undefined;

/** openid-client, loaded on first use: an app without social login does not carry it in memory. */
function openIdClient(): typeof OpenIdClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loadedClient ??= require('openid-client') as typeof OpenIdClient);
}
