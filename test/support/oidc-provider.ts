import { generateKeyPairSync, sign } from 'crypto';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { Browser, type BrowserResponse } from './browser';

/** oidc-provider is ESM-only without type declarations; Node ≥ 20.19 can require() it. */

const { Provider } = require('oidc-provider');

export interface TestAccount {
  email?: string;
  emailVerified?: boolean;
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

/**
 * A real OpenID Provider (panva's oidc-provider) on a loopback port, with the accounts and
 * clients a test defines. Its development login and consent pages are driven by `signInAt`.
 */
export class TestOpenIdProvider {
  readonly issuer: string;
  /**
   * When set, the token endpoint's ID token is altered in flight: it claims a verified email the
   * account does not have (its signature no longer matches).
   */
  tamperIdToken = false;
  /**
   * When set, the token endpoint's ID token claims are rewritten and the token signed again with
   * the provider's own key: a token the provider really issued, with the claims a test chooses.
   */
  rewriteIdToken: ((claims: Record<string, unknown>) => Record<string, unknown>) | undefined;
  /** The provider's signing key (RS256), so tests can issue ID tokens it would. */
  private readonly signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  /** Requests the userinfo endpoint answered. */
  userinfoCalls = 0;
  /** Accounts by `sub`; tests may add and change them while running. */
  readonly accounts: Map<string, TestAccount>;
  private provider: any;

  private constructor(
    private readonly server: Server,
    accounts: Record<string, TestAccount>,
  ) {
    this.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.accounts = new Map(Object.entries(accounts));
  }

  /** Takes the port first: clients registered later need the issuer and the app's URL. */
  static async listen(accounts: Record<string, TestAccount>): Promise<TestOpenIdProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TestOpenIdProvider(server, accounts);
  }

  /**
   * Starts answering, with these clients. `idTokenClaims: 'all'` puts the email in the ID token
   * too; by default (OpenID Connect's rule when an access token is issued) it is only at userinfo.
   */
  serve(clients: TestClient[], options: { idTokenClaims?: 'all' } = {}): void {
    const accounts = this.accounts;
    this.provider = new Provider(this.issuer, {
      clients: clients.map((c) => ({
        client_id: c.clientId,
        client_secret: c.clientSecret,
        redirect_uris: c.redirectUris,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      })),
      async findAccount(_ctx: unknown, sub: string) {
        const account = accounts.get(sub);
        if (!account) return undefined;
        return {
          accountId: sub,
          async claims() {
            return account.email === undefined ? { sub } : { sub, email: account.email, email_verified: account.emailVerified ?? false };
          },
        };
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'] },
      conformIdTokenClaims: options.idTokenClaims !== 'all',
      cookies: { keys: ['test-oidc-cookie-key-0123456789abcdef'] },
      jwks: { keys: [{ ...this.signingKey.export({ format: 'jwk' }), kid: 'test-signing-key', use: 'sig', alg: 'RS256' }] },
      pkce: { required: () => true },
      features: { devInteractions: { enabled: true } },
      // Consent is asked once per browser session; no refresh tokens are wanted here.
      issueRefreshToken: async () => false,
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    });
    this.provider.use(async (ctx: any, next: () => Promise<void>) => {
      if (ctx.path === '/me') this.userinfoCalls++;
      await next();
      if (this.tamperIdToken && ctx.path === '/token' && ctx.body && typeof ctx.body.id_token === 'string') {
        const [header, payload, signature] = ctx.body.id_token.split('.');
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
        claims.email = 'victim@example.com';
        claims.email_verified = true;
        ctx.body = { ...ctx.body, id_token: [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.') };
      }
      if (this.rewriteIdToken && ctx.path === '/token' && ctx.body && typeof ctx.body.id_token === 'string') {
        const [header, payload] = ctx.body.id_token.split('.');
        const claims = this.rewriteIdToken(JSON.parse(Buffer.from(payload, 'base64url').toString()));
        const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
        ctx.body = { ...ctx.body, id_token: `${input}.${sign('sha256', Buffer.from(input), this.signingKey).toString('base64url')}` };
      }
    });
    this.server.on('request', this.provider.callback());
  }

  /** Stops answering: every connection is refused from now on. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * Follows an authorization URL through the provider's login and consent pages as `login`, and
 * stops at the redirect to the app: returns the callback URL (not yet visited).
 */
export async function signInAt(browser: Browser, authorizationUrl: string, login: string): Promise<string> {
  let response: BrowserResponse = await browser.get(authorizationUrl);
  for (let hop = 0; hop < 20; hop++) {
    if (response.status >= 300 && response.status < 400 && response.location) {
      const next = response.location;
      if (!next.startsWith(new URL(authorizationUrl).origin)) return next; // back to the app
      response = await browser.get(next);
      continue;
    }
    if (response.status === 200 && /name="prompt" value="(login|consent)"/.test(response.text)) {
      const prompt = /name="prompt" value="(login|consent)"/.exec(response.text)![1];
      const action = new URL(/<form[^>]*action="([^"]+)"/.exec(response.text)![1].replace(/&amp;/g, '&'), response.url).toString();
      response = await browser.postForm(action, prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
      continue;
    }
    throw new Error(`unexpected answer from the provider: ${response.status} ${response.text.slice(0, 300)}`);
  }
  throw new Error('too many redirects at the provider');
}
