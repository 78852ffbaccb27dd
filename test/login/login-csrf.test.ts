/**
 * Login CSRF: a foreign page must not sign the victim's browser in as the attacker, whatever
 * carries the attacker's credential (a password, or a refresh token in the body or the cookie).
 * Every route that sets the cookie transport's session cookies answers a foreign origin 403
 * `CSRF_FAILED` with no Set-Cookie; the social sign-in's start and callback are in oauth-oidc.test.ts.
 */
import { expect } from 'chai';
import { JsonController, Post, Req, Res } from 'routing-controllers';
import request from 'supertest';
import { Auth, AuthenticationBackend, BearerTransport, CookieTransport, CsrfError, DatabaseStrategy, exchangeFromParams, logUserIn } from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp, User } from '../support/app';

const EVIL = { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' };

function setCookies(res: request.Response): string[] {
  return (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
}

function cookieValue(res: request.Response, name: string): string | undefined {
  return setCookies(res)
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0]
    .slice(name.length + 1);
}

describe('login CSRF: every request that sets the session cookies passes the login origin check', () => {
  let t: TestApp;

  before(async () => {
    /** An app's own login route (a magic link, say) that forgets the origin check: the transport still applies it. */
    @JsonController('/custom')
    class ForgetfulLogin {
      @Post('/login')
      async login(@Req() req: any, @Res() res: any) {
        const auth = Auth.current<User>();
        const user = (await auth.userManager.getByEmail('attacker@example.com'))!;
        return logUserIn(auth, auth.getBackend('c'), user, exchangeFromParams(req, res), []);
      }
    }
    t = await buildApp({
      extraControllers: [ForgetfulLogin],
      backends: [
        new AuthenticationBackend({
          name: 'c',
          transport: new CookieTransport({ cookieMaxAge: 3600, trustedOrigins: ['https://front.example'] }),
          strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
          refresh: { lifetimeSeconds: 24 * 3600, cookiePath: '/auth/c/refresh' },
        }),
        new AuthenticationBackend({
          name: 'b',
          transport: new BearerTransport({ tokenUrl: '/auth/b/login' }),
          strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
          refresh: { lifetimeSeconds: 24 * 3600 },
        }),
      ],
    });
    await createUser(t.auth, { email: 'attacker@example.com' });
  });
  after(() => t.close());

  /** The attacker's own refresh token, from a login of theirs (a non-browser client: no origin headers). */
  async function attackerRefreshToken(): Promise<string> {
    const res = await request(t.app).post('/auth/c/login').type('form').send({ username: 'attacker@example.com', password: PASSWORD });
    expect(res.status).to.equal(204);
    return cookieValue(res, 'rcauth_refresh')!;
  }

  const forged: [string, Record<string, string>, 'form' | 'json'][] = [
    ['the issue’s request: a form post, Origin https://evil.example + Sec-Fetch-Site cross-site', EVIL, 'form'],
    ['a JSON body', EVIL, 'json'],
    ['a foreign Origin alone', { Origin: 'https://evil.example' }, 'form'],
    ['Sec-Fetch-Site cross-site alone', { 'Sec-Fetch-Site': 'cross-site' }, 'form'],
    ['a same-site sibling origin (Sec-Fetch-Site same-site)', { Origin: 'http://other.app.test', 'Sec-Fetch-Site': 'same-site' }, 'form'],
    ['Origin: null (a sandboxed frame)', { Origin: 'null' }, 'form'],
    ['a foreign Referer without Origin', { Referer: 'https://evil.example/page' }, 'form'],
  ];
  for (const [name, headers, type] of forged) {
    it(`POST /refresh with the attacker's token in the body, ${name} → 403 CSRF_FAILED, no Set-Cookie, the token not used up`, async () => {
      const token = await attackerRefreshToken();
      const req = request(t.app).post('/auth/c/refresh').set('Host', 'app.test').set(headers).type(type);
      const res = await req.send({ grant_type: 'refresh_token', refresh_token: token });
      expect(res.status, JSON.stringify(res.body)).to.equal(403);
      expect(res.body.code).to.equal('CSRF_FAILED');
      expect(setCookies(res)).to.deep.equal([]);
      // Refused before the token was looked at: it still rotates for its owner.
      const own = await request(t.app).post('/auth/c/refresh').type('form').send({ grant_type: 'refresh_token', refresh_token: token });
      expect(own.status).to.equal(204);
    });
  }

  it('POST /refresh with the token in the refresh cookie, cross-site → 403 CSRF_FAILED as before', async () => {
    const token = await attackerRefreshToken();
    const res = await request(t.app).post('/auth/c/refresh').set(EVIL).set('Cookie', `rcauth_refresh=${token}`).send();
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('CSRF_FAILED');
    expect(setCookies(res)).to.deep.equal([]);
  });

  it('same origin, a trusted origin and a non-browser client still refresh with the token in the body (204 + both cookies)', async () => {
    for (const headers of [
      { Origin: 'http://app.test', 'Sec-Fetch-Site': 'same-origin' },
      { Origin: 'https://front.example', 'Sec-Fetch-Site': 'same-site' },
      {},
    ]) {
      const token = await attackerRefreshToken();
      const res = await request(t.app)
        .post('/auth/c/refresh')
        .set('Host', 'app.test')
        .set(headers)
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: token });
      expect(res.status, JSON.stringify(headers)).to.equal(204);
      expect(cookieValue(res, 'rcauth')).to.be.a('string');
      expect(cookieValue(res, 'rcauth_refresh')).to.be.a('string').and.not.equal(token);
    }
  });

  it('POST /login cross-site → 403 CSRF_FAILED before the password is read, nothing set', async () => {
    const res = await request(t.app).post('/auth/c/login').set(EVIL).type('form').send({ username: 'attacker@example.com', password: PASSWORD });
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('CSRF_FAILED');
    expect(setCookies(res)).to.deep.equal([]);
  });

  it("an app's own route logging in through the cookie backend (logUserIn) cross-site → 403 CSRF_FAILED, no cookie: the transport checks every cookie it sets", async () => {
    const res = await request(t.app).post('/custom/login').set(EVIL).send();
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('CSRF_FAILED');
    expect(setCookies(res)).to.deep.equal([]);
    const same = await request(t.app).post('/custom/login').set('Host', 'app.test').set('Origin', 'http://app.test').send();
    expect(same.status).to.equal(204);
    expect(cookieValue(same, 'rcauth')).to.be.a('string');
  });

  it('a bearer backend is not concerned (no cookie to plant): its refresh answers 200 whatever the Origin', async () => {
    const login = await request(t.app).post('/auth/b/login').type('form').send({ username: 'attacker@example.com', password: PASSWORD });
    const res = await request(t.app)
      .post('/auth/b/refresh')
      .set(EVIL)
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token });
    expect(res.status).to.equal(200);
    expect(res.body.access_token).to.be.a('string');
    expect(setCookies(res)).to.deep.equal([]);
  });
});

describe('a transport written before checkIssuingRequest keeps its check', () => {
  let t: TestApp;
  const checked: string[] = [];

  /** A third-party transport that still implements the deprecated `checkLoginRequest` only. */
  class LegacyTransport extends BearerTransport {
    checkLoginRequest(exchange: { raw: { url?: string } }): void {
      checked.push(String(exchange.raw.url));
      throw new CsrfError('refused by the legacy check');
    }
  }

  before(async () => {
    t = await buildApp({
      backends: [
        new AuthenticationBackend({
          name: 'legacy',
          transport: new LegacyTransport({ tokenUrl: '/auth/legacy/login' }),
          strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
          refresh: {},
        }),
      ],
    });
    await createUser(t.auth, { email: 'legacy@example.com' });
  });
  after(() => t.close());

  it('runs the deprecated checkLoginRequest on login and on refresh', async () => {
    const loginRes = await request(t.app).post('/auth/legacy/login').type('form').send({ username: 'legacy@example.com', password: PASSWORD });
    expect(loginRes.status).to.equal(403);
    const refreshRes = await request(t.app)
      .post('/auth/legacy/refresh')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) });
    expect(refreshRes.status).to.equal(403);
    expect(refreshRes.body.code).to.equal('CSRF_FAILED');
    expect(checked).to.deep.equal(['/auth/legacy/login', '/auth/legacy/refresh']);
  });
});
