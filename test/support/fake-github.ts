import { createHash, randomBytes } from 'crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

export interface GitHubTestUser {
  id: number;
  login: string;
  /** The public profile email (`/user`'s `email`), often null. */
  publicEmail: string | null;
  emails: { email: string; primary: boolean; verified: boolean; visibility: 'public' | 'private' | null }[];
}

/**
 * A loopback server answering as GitHub's documented OAuth and REST API do: the web flow
 * (`/login/oauth/authorize`, `/login/oauth/access_token` with PKCE S256), `GET /user` and
 * `GET /user/emails`. The test picks who "signs in" at the authorize step.
 */
export class FakeGitHub {
  readonly url: string;
  /** The account the next authorize step signs in. */
  signInAs: GitHubTestUser | undefined;
  /** API calls answer 500 with an internal message. */
  failApi = false;
  /** API calls never answer. */
  hangApi = false;
  private readonly codes = new Map<string, { user: GitHubTestUser; challenge: string; redirectUri: string; clientId: string }>();
  private readonly tokens = new Map<string, GitHubTestUser>();

  private constructor(
    private readonly server: Server,
    private readonly client: { clientId: string; clientSecret: string },
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(client: { clientId: string; clientSecret: string }): Promise<FakeGitHub> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const github = new FakeGitHub(server, client);
    server.on('request', (req, res) => void github.handle(req, res));
    return github;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };

    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== this.client.clientId || !this.signInAs) return json(404, { error: 'not found' });
      if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) return json(400, { error: 'pkce required by this test server' });
      const code = randomBytes(10).toString('hex');
      this.codes.set(code, { user: this.signInAs, challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')!, clientId: q.get('client_id')! });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return void res.end();
    }

    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(await readBody(req));
      const grant = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? ''); // codes are single-use
      const badCode = {
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
        error_uri: 'https://docs.github.com/apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code',
      };
      if (form.get('client_id') !== this.client.clientId || form.get('client_secret') !== this.client.clientSecret) {
        return json(200, { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' });
      }
      if (!grant || grant.redirectUri !== form.get('redirect_uri')) return json(200, badCode);
      const challenge = createHash('sha256')
        .update(form.get('code_verifier') ?? '')
        .digest('base64url');
      if (challenge !== grant.challenge) return json(200, badCode);
      const token = `gho_${randomBytes(18).toString('hex')}`;
      this.tokens.set(token, grant.user);
      return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }

    if (req.method === 'GET' && (url.pathname === '/user' || url.pathname === '/user/emails')) {
      if (this.hangApi) return; // never answers
      if (this.failApi) return json(500, { message: 'internal detail: database shard 7 on fire' });
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const user = token ? this.tokens.get(token) : undefined;
      if (!user) return json(401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest', status: '401' });
      if (url.pathname === '/user') {
        return json(200, {
          login: user.login,
          id: user.id,
          node_id: `U_${user.id}`,
          type: 'User',
          site_admin: false,
          name: user.login,
          email: user.publicEmail,
        });
      }
      return json(200, user.emails);
    }

    json(404, { message: 'Not Found' });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
