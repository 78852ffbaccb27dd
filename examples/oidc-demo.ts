/**
 * `OIDC_DEMO=1 npm run example`: a local OpenID provider (panva's oidc-provider) on another
 * loopback port, so "Sign in with a local provider" is a real social login — discovery,
 * authorization code + PKCE, ID token — with no internet and no account anywhere.
 *
 * Development only: oidc-provider's built-in login page accepts any name (the password is not
 * checked), its keys are generated at start and its storage is memory.
 */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { JsonController } from 'routing-controllers';
import { OAuthController, OpenIdProvider } from '../src';
import type { User } from './user';

/** The client the example registers at the demo provider. Demo values, not secrets of anything. */
const DEMO_CLIENT = { clientId: 'routing-controllers-auth-example', clientSecret: 'demo-only-client-secret-not-a-real-one' };

export interface DemoProvider {
  issuer: string;
  /** The example's controller at `/auth/local`. */
  controller: Function;
  /** Registers the example's callback URLs (known once the example listens) and starts answering. */
  serve(appUrl: string): void;
  close(): Promise<void>;
}

/**
 * Takes a loopback port for the provider (`port` 0 picks a free one) and returns the app's
 * controller for it; `serve(appUrl)` starts the provider once the app's URL is known.
 */
export async function startDemoProvider(port: number, host: string): Promise<DemoProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
  let appUrl = '';

  const provider = new OpenIdProvider({
    name: 'local',
    issuer,
    ...DEMO_CLIENT,
    allowInsecureRequests: true, // the demo provider is plain http on loopback; real issuers are https
  });

  @JsonController('/auth/local')
  class LocalOAuthController extends OAuthController<User> {
    constructor() {
      super(provider, 'cookie', {
        redirectUri: `${appUrl}/auth/local/callback`,
        redirectUrl: '/account',
        isVerifiedByDefault: true,
        // Not Secure ONLY because the example is plain http, like its session cookie (see app.ts).
        stateCookieSecure: false,
      });
    }
  }

  return {
    issuer,
    controller: LocalOAuthController,
    serve(url: string) {
      appUrl = url;
      // ESM-only, no type declarations; Node ≥ 20.19 can require() it.

      const { Provider } = require('oidc-provider');
      const oidc = new Provider(issuer, {
        clients: [
          {
            client_id: DEMO_CLIENT.clientId,
            client_secret: DEMO_CLIENT.clientSecret,
            redirect_uris: [`${url}/auth/local/callback`, `${url}/auth/local/associate/callback`],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
        // Whatever name is typed at the provider's login page becomes an account with a verified email.
        async findAccount(_ctx: unknown, sub: string) {
          const name = sub.toLowerCase().replace(/[^a-z0-9._-]/g, '') || 'demo';
          return { accountId: sub, claims: async () => ({ sub, email: `${name}@oidc-demo.localhost`, email_verified: true, name: sub }) };
        },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
        cookies: { keys: [require('crypto').randomBytes(32).toString('base64url')] },
        features: { devInteractions: { enabled: true } },
        ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
      });
      server.on('request', oidc.callback());
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
