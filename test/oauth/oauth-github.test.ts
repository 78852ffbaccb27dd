import { expect } from 'chai';
import { JsonController } from 'routing-controllers';
import { DataSource } from 'typeorm';
import { AccessToken, GitHubProvider, JwtRevocation, OAuthAccount, OAuthController, type OAuthControllerOptions } from '../../src';
import { buildApp, createUser, type TestApp, User } from '../support/app';
import { Browser } from '../support/browser';
import { FakeGitHub, type GitHubTestUser } from '../support/fake-github';

const CLIENT = { clientId: 'Iv1.rcauthtest', clientSecret: 'github-test-secret-0123456789' };

const octocat: GitHubTestUser = {
  id: 583231,
  login: 'octocat',
  publicEmail: null,
  emails: [
    { email: 'octocat@github.example', primary: true, verified: true, visibility: 'private' },
    { email: 'octo-old@example.com', primary: false, verified: true, visibility: null },
  ],
};
/** Primary address unverified; a secondary verified one matches an existing account. */
const unverifiedPrimary: GitHubTestUser = {
  id: 9001,
  login: 'newbie',
  publicEmail: 'newbie@example.com',
  emails: [
    { email: 'newbie@example.com', primary: true, verified: false, visibility: 'public' },
    { email: 'existing-owner@example.com', primary: false, verified: true, visibility: null },
  ],
};

describe('Social login with GitHub (a loopback server answering as GitHub’s API does)', function () {
  this.timeout(30000);
  let github: FakeGitHub;
  let t: TestApp;
  let appUrl = '';

  function githubRoute(route: string, provider: () => GitHubProvider, options: Partial<OAuthControllerOptions<User>> = {}): Function {
    @JsonController(route)
    class TestGitHubController extends OAuthController<User> {
      constructor() {
        super(provider(), 'jwt', { redirectUri: `${appUrl}${route}/callback`, auth: t.auth, ...options });
      }
    }
    return TestGitHubController;
  }
  const provider = (timeoutSeconds: number) => {
    let instance: GitHubProvider | undefined;
    return () => (instance ??= new GitHubProvider({ ...CLIENT, webBaseUrl: github.url, apiBaseUrl: github.url, timeoutSeconds }));
  };

  before(async () => {
    github = await FakeGitHub.start(CLIENT);
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [User, AccessToken, JwtRevocation, OAuthAccount],
      synchronize: true,
    });
    t = await buildApp({
      dataSource,
      extraControllers: [
        githubRoute('/auth/github', provider(5), { isVerifiedByDefault: true, associateByEmail: true }),
        githubRoute('/auth/github-slow', provider(1)),
        githubRoute('/auth/github-errors', provider(5), { errorRedirectUrl: '/sign-in?from=github#top' }),
      ],
    });
    appUrl = (await t.listen()).url;
    await createUser(t.auth, { email: 'existing-owner@example.com' });
  });
  after(async () => {
    await t.close();
    await github.close();
  });

  const users = () => t.dataSource.getRepository(User);
  const links = () => t.dataSource.getRepository(OAuthAccount);

  /** authorize → GitHub → the app's callback URL (not yet visited). */
  async function callbackUrl(browser: Browser, as: GitHubTestUser, route = '/auth/github'): Promise<string> {
    github.signInAs = as;
    const res = await browser.get(`${appUrl}${route}/authorize`);
    expect(res.status, res.text).to.equal(200);
    const atGitHub = await browser.get(res.json.authorization_url);
    expect(atGitHub.status).to.equal(302);
    return atGitHub.location!;
  }

  it('sends the browser to GitHub with the client id, callback, scopes, state and an S256 challenge', async () => {
    const res = await new Browser().get(`${appUrl}/auth/github/authorize`);
    const url = new URL(res.json.authorization_url);
    expect(`${url.origin}${url.pathname}`).to.equal(`${github.url}/login/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).to.include({
      client_id: CLIENT.clientId,
      redirect_uri: `${appUrl}/auth/github/callback`,
      scope: 'read:user user:email',
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('state')).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('code_challenge')).to.match(/^[A-Za-z0-9_-]{43}$/);
  });

  it('first sign-in creates the user from the primary verified email (GitHub’s numeric id is the account id); the second signs the same user in', async () => {
    const browser = new Browser();
    const res = await browser.get(await callbackUrl(browser, octocat));
    expect(res.status, res.text).to.equal(200);
    const user = (await users().findOneBy({ email: 'octocat@github.example' }))!;
    expect(user.isVerified).to.equal(true);
    expect((await links().findOneBy({ providerName: 'github', accountId: '583231' }))!.userId).to.equal(user.id);
    const me = await new Browser({ authorization: `Bearer ${res.json.access_token}` }).get(`${appUrl}/items/`);
    expect(me.json.owner).to.equal('octocat@github.example');

    const count = await users().count();
    const again = new Browser();
    const second = await again.get(await callbackUrl(again, octocat));
    expect(second.status).to.equal(200);
    expect(await users().count()).to.equal(count);
  });

  it('only a primary verified email counts as verified: a verified secondary address is never used to link, and the unverified primary is not trusted', async () => {
    const browser = new Browser();
    const res = await browser.get(await callbackUrl(browser, unverifiedPrimary));
    expect(res.status, res.text).to.equal(200);
    const created = (await users().findOneBy({ email: 'newbie@example.com' }))!;
    expect(created.isVerified).to.equal(false); // isVerifiedByDefault, but GitHub did not verify the primary address
    const owner = (await users().findOneBy({ email: 'existing-owner@example.com' }))!;
    expect((await links().findOneBy({ accountId: '9001' }))!.userId)
      .to.equal(created.id)
      .and.not.equal(owner.id);
  });

  it('associateByEmail with an unverified primary email matching an account → 400 OAUTH_USER_ALREADY_EXISTS', async () => {
    await createUser(t.auth, { email: 'unverified-match@example.com' });
    const browser = new Browser();
    const impostor: GitHubTestUser = {
      id: 777,
      login: 'impostor',
      publicEmail: null,
      emails: [{ email: 'unverified-match@example.com', primary: true, verified: false, visibility: null }],
    };
    const res = await browser.get(await callbackUrl(browser, impostor));
    expect(res.status).to.equal(400);
    expect(res.json.code).to.equal('OAUTH_USER_ALREADY_EXISTS');
    expect(await links().countBy({ accountId: '777' })).to.equal(0);
  });

  it('a replayed code → 400 OAUTH_INVALID_CODE', async () => {
    const browser = new Browser();
    const first = new URL(await callbackUrl(browser, octocat));
    expect((await browser.get(first.toString())).status).to.equal(200);
    const second = new URL(await callbackUrl(browser, octocat));
    second.searchParams.set('code', first.searchParams.get('code')!);
    const res = await browser.get(second.toString());
    expect(res.status).to.equal(400);
    expect(res.json.code).to.equal('OAUTH_INVALID_CODE');
  });

  describe('with errorRedirectUrl: a failed callback sends the browser there with ?error=CODE, never to JSON', () => {
    it('the user cancels at GitHub → 303 /sign-in?from=github&error=OAUTH_AUTHORIZATION_DENIED, an oauth.failed event', async () => {
      const events: any[] = [];
      const listener = (event: any) => event.type === 'oauth.failed' && events.push(event);
      t.auth.events.on('event', listener);
      const browser = new Browser();
      const res = await browser.get(`${appUrl}/auth/github-errors/authorize`);
      const state = new URL(res.json.authorization_url).searchParams.get('state')!;
      const cancelled = await browser.get(`${appUrl}/auth/github-errors/callback?error=access_denied&state=${state}`);
      t.auth.events.off('event', listener);
      expect(cancelled.status).to.equal(303);
      expect(cancelled.location).to.equal(`${appUrl}/sign-in?from=github&error=OAUTH_AUTHORIZATION_DENIED#top`);
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ provider: 'github', flow: 'login', code: 'OAUTH_AUTHORIZATION_DENIED' });
    });

    it('another browser’s callback → 303 …&error=OAUTH_INVALID_STATE; a success still answers as the backend does (200 and the token)', async () => {
      const url = await callbackUrl(new Browser(), octocat, '/auth/github-errors');
      const res = await new Browser().get(url);
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(`${appUrl}/sign-in?from=github&error=OAUTH_INVALID_STATE#top`);
      const browser = new Browser();
      const ok = await browser.get(await callbackUrl(browser, octocat, '/auth/github-errors'));
      expect(ok.status).to.equal(200);
      expect(ok.json.access_token).to.be.a('string');
    });
  });

  it('the state rules hold for GitHub too: another browser → 400 OAUTH_INVALID_STATE', async () => {
    const url = await callbackUrl(new Browser(), octocat);
    const res = await new Browser().get(url);
    expect(res.status).to.equal(400);
    expect(res.json.code).to.equal('OAUTH_INVALID_STATE');
  });

  it('GitHub’s API failing → 502 OAUTH_PROVIDER_ERROR without GitHub’s answer, nothing created', async () => {
    const someone: GitHubTestUser = {
      id: 4242,
      login: 'someone',
      publicEmail: null,
      emails: [{ email: 'someone@example.com', primary: true, verified: true, visibility: null }],
    };
    const browser = new Browser();
    const url = await callbackUrl(browser, someone);
    github.failApi = true;
    try {
      const res = await browser.get(url);
      expect(res.status).to.equal(502);
      expect(res.json).to.deep.equal({ code: 'OAUTH_PROVIDER_ERROR', message: res.json.message });
      expect(res.text).to.not.include('shard');
    } finally {
      github.failApi = false;
    }
    expect(await users().countBy({ email: 'someone@example.com' })).to.equal(0);
  });

  it('GitHub’s API not answering → 502 OAUTH_PROVIDER_ERROR once the time limit passes', async () => {
    const browser = new Browser();
    const url = await callbackUrl(browser, octocat, '/auth/github-slow');
    github.hangApi = true;
    try {
      const res = await browser.get(url);
      expect(res.status).to.equal(502);
      expect(res.json.code).to.equal('OAUTH_PROVIDER_ERROR');
    } finally {
      github.hangApi = false;
    }
  });
});
