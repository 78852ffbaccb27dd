/**
 * The provider step of a login (social sign-in) stops for the second factor like the password
 * step: the callback answers `mfa_required` (or, with `redirectUrl`, hands the token to the page
 * in the URL fragment) and issues nothing; POST /2fa/verify finishes it with amr fed + otp.
 */
import { expect } from 'chai';
import { JsonController } from 'routing-controllers';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AccessToken,
  AuthenticationBackend,
  BearerTransport,
  CookieTransport,
  DatabaseStrategy,
  GitHubProvider,
  JwtStrategy,
  OAuthAccount,
  OAuthController,
  RecoveryCode,
  TwoFactorSecret,
  type OAuthControllerOptions,
} from '../../src';
import { buildApp, SECRET, type TestApp, User } from '../support/app';
import { Browser } from '../support/browser';
import { FakeGitHub, type GitHubTestUser } from '../support/fake-github';
import { jwtClaims, totpCode, twoFactorRoutes } from '../support/two-factor';

const CLIENT = { clientId: 'Iv1.rcauthmfa', clientSecret: 'github-test-secret-0123456789' };
const hubber: GitHubTestUser = {
  id: 7001,
  login: 'hubber',
  publicEmail: null,
  emails: [{ email: 'hubber@github.example', primary: true, verified: true, visibility: 'private' }],
};

describe('two-factor after a provider sign-in', function () {
  this.timeout(30_000);
  let github: FakeGitHub;
  let t: TestApp;
  let appUrl = '';

  function githubRoute(route: string, backend: string, options: Partial<OAuthControllerOptions<User>> = {}): Function {
    let provider: GitHubProvider | undefined;
    @JsonController(route)
    class MfaGitHubController extends OAuthController<User> {
      constructor() {
        provider ??= new GitHubProvider({ ...CLIENT, webBaseUrl: github.url, apiBaseUrl: github.url });
        super(provider, backend, { redirectUri: `${appUrl}${route}/callback`, auth: t.auth, isVerifiedByDefault: true, stateCookieSecure: false, ...options });
      }
    }
    return MfaGitHubController;
  }

  before(async () => {
    github = await FakeGitHub.start(CLIENT);
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [User, AccessToken, OAuthAccount, TwoFactorSecret, RecoveryCode],
      synchronize: true,
    });
    t = await buildApp({
      dataSource,
      twoFactor: { issuer: 'RCA Test' },
      backends: [
        new AuthenticationBackend({
          name: 'jwt',
          transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
          strategy: new JwtStrategy({ secret: SECRET }),
        }),
        new AuthenticationBackend({
          name: 'cookie',
          transport: new CookieTransport({ cookieMaxAge: 3600, cookieSecure: false }),
          strategy: new DatabaseStrategy(),
        }),
      ],
      extraControllers: (auth) => [
        githubRoute('/auth/github', 'jwt'),
        githubRoute('/auth/github-page', 'cookie', { redirectUrl: '/signed-in' }),
        twoFactorRoutes(auth),
      ],
    });
    appUrl = (await t.listen()).url;
  });
  after(async () => {
    await t?.close();
    await github?.close();
  });

  async function callback(browser: Browser, route: string) {
    github.signInAs = hubber;
    const start = await browser.get(`${appUrl}${route}/authorize`);
    expect(start.status, JSON.stringify(start.json)).to.equal(200);
    const atGitHub = await browser.get(start.json.authorization_url);
    return browser.get(atGitHub.location!);
  }

  it('the callback answers mfa_required for a user with TOTP; /2fa/verify finishes with amr fed+otp; with redirectUrl the token is in the fragment', async () => {
    // First sign-in: the user is made and signed in (no second factor yet) — enrol with that recent sign-in.
    const first = await callback(new Browser(), '/auth/github');
    expect(first.status, JSON.stringify(first.json)).to.equal(200);
    const access = first.json.access_token as string;
    expect(jwtClaims(access).amr).to.deep.equal(['fed']);
    const begin = await request(t.app).post('/auth/2fa/totp').set('Authorization', `Bearer ${access}`).send({});
    expect(begin.status, JSON.stringify(begin.body)).to.equal(200);
    const secret = begin.body.secret as string;
    const confirm = await request(t.app)
      .post('/auth/2fa/totp/confirm')
      .set('Authorization', `Bearer ${access}`)
      .send({ code: totpCode(secret, -1) });
    expect(confirm.status).to.equal(200);

    const second = await callback(new Browser(), '/auth/github');
    expect(second.status, JSON.stringify(second.json)).to.equal(200);
    expect(second.json).to.have.keys(['mfa_required', 'mfa_token', 'methods']);
    expect(second.json.access_token).to.equal(undefined);
    const done = await request(t.app)
      .post('/auth/2fa/verify')
      .send({ mfa_token: second.json.mfa_token, code: totpCode(secret, 0) });
    expect(done.status, JSON.stringify(done.body)).to.equal(200);
    expect(jwtClaims(done.body.access_token).amr).to.deep.equal(['fed', 'otp']);

    // The browser flow: a 303 to the page with the pending login in the fragment, no session cookie.
    const page = await callback(new Browser(), '/auth/github-page');
    expect(page.status).to.equal(303);
    const location = new URL(page.location!, appUrl);
    expect(location.pathname).to.equal('/signed-in');
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('mfa_required')).to.equal('true');
    expect(fragment.get('methods')).to.equal('totp recovery_code');
    expect(page.headers.getSetCookie().filter((c) => c.startsWith('rcauth='))).to.deep.equal([]);
    const finished = await request(t.app)
      .post('/auth/2fa/verify')
      .send({ mfa_token: fragment.get('mfa_token'), code: totpCode(secret, 1) });
    expect(finished.status, JSON.stringify(finished.body)).to.equal(204);
    expect(String(finished.headers['set-cookie'])).to.match(/rcauth=/);
  });
});
