import { expect } from 'chai';
import { JsonController } from 'routing-controllers';
import { DataSource } from 'typeorm';
import {
  AccessToken,
  JwtRevocation,
  MemoryOAuthStateStore,
  OAuthAccount,
  OAuthController,
  OpenIdProvider,
  UserManager,
  type OAuthControllerOptions,
} from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp, User } from '../support/app';
import { Browser } from '../support/browser';
import { signInAt, TestOpenIdProvider } from '../support/oidc-provider';

const CLIENT = { clientId: 'rcauth-app', clientSecret: 'rcauth-app-secret-0123456789' };

/** Records the social-login hooks. */
class OAuthRecordingManager extends UserManager<User> {
  calls: string[] = [];
  onAfterRegister(user: User) {
    this.calls.push(`register:${user.email}`);
  }
  onAfterOAuthRegister(user: User, account: OAuthAccount) {
    this.calls.push(`oauth-register:${user.email}:${account.providerName}:${account.accountId}`);
  }
  onAfterOAuthLogin(user: User, account: OAuthAccount) {
    this.calls.push(`oauth-login:${user.email}:${account.accountId}`);
  }
}

describe('Social login with a real OpenID provider (oidc-provider)', function () {
  this.timeout(30000);
  let idp: TestOpenIdProvider;
  let downIdp: TestOpenIdProvider;
  let richIdp: TestOpenIdProvider;
  let t: TestApp;
  let appUrl = '';
  let clock = Date.now();
  const clockedStates = new MemoryOAuthStateStore({ now: () => clock });

  /** An OAuthController subclass at `route` (its options are read at first request, once the app listens). */
  function oauthRoute(route: string, provider: () => OpenIdProvider, backend: string, options: Partial<OAuthControllerOptions<User>> = {}): Function {
    @JsonController(route)
    class TestOAuthController extends OAuthController<User> {
      constructor() {
        super(provider(), backend, { redirectUri: `${appUrl}${route}/callback`, auth: t.auth, ...options });
      }
    }
    return TestOAuthController;
  }

  const oidc = (issuer: () => string) => {
    let instance: OpenIdProvider | undefined;
    return () => (instance ??= new OpenIdProvider({ name: 'local', issuer: issuer(), ...CLIENT, allowInsecureRequests: true, timeoutSeconds: 5 }));
  };
  const local = oidc(() => idp.issuer);
  const down = oidc(() => downIdp.issuer);
  const rich = oidc(() => richIdp.issuer);
  let unreachableIssuer = '';
  const unreachable = oidc(() => unreachableIssuer);

  before(async () => {
    idp = await TestOpenIdProvider.listen({
      alice: { email: 'alice@example.com', emailVerified: true },
      bob: { email: 'bob@example.com', emailVerified: true },
      carol: { email: 'carol@example.com', emailVerified: true },
      dave: { email: 'dave@example.com', emailVerified: true },
      erin: { email: 'erin@example.com', emailVerified: true },
      frank: { email: 'frank@example.com', emailVerified: true },
      mallory: { email: 'mallory@example.com', emailVerified: true },
      noemail: {},
      'taken-unverified': { email: 'owner1@example.com', emailVerified: false },
      'taken-verified': { email: 'Owner2@Example.com', emailVerified: true },
      'taken-off': { email: 'owner3@example.com', emailVerified: true },
      hook: { email: 'hook@example.com', emailVerified: true },
      cookieuser: { email: 'cookie-user@example.com', emailVerified: true },
    });
    downIdp = await TestOpenIdProvider.listen({ zed: { email: 'zed@example.com', emailVerified: true } });
    richIdp = await TestOpenIdProvider.listen({ grace: { email: 'grace@example.com', emailVerified: true } });
    const gone = await TestOpenIdProvider.listen({});
    unreachableIssuer = gone.issuer; // a port nothing listens on any more
    await gone.close();
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [User, AccessToken, JwtRevocation, OAuthAccount],
      synchronize: true,
    });
    t = await buildApp({
      dataSource,
      userManager: OAuthRecordingManager,
      extraControllers: [
        oauthRoute('/auth/oidc', local, 'jwt'),
        oauthRoute('/auth/oidc-link', local, 'jwt', { associateByEmail: true, isVerifiedByDefault: true }),
        oauthRoute('/auth/oidc-clock', local, 'jwt', { stateStore: clockedStates }),
        oauthRoute('/auth/oidc-cookie', local, 'cookie', { redirectUrl: 'http://app.example/welcome' }),
        oauthRoute('/auth/oidc-down', down, 'jwt'),
        oauthRoute('/auth/oidc-unreachable', unreachable, 'jwt'),
        oauthRoute('/auth/oidc-rich', rich, 'jwt', { isVerifiedByDefault: true }),
      ],
    });
    appUrl = (await t.listen()).url;
    const routes = ['/auth/oidc', '/auth/oidc-link', '/auth/oidc-clock', '/auth/oidc-cookie'];
    idp.serve([{ ...CLIENT, redirectUris: routes.flatMap((r) => [`${appUrl}${r}/callback`, `${appUrl}${r}/associate/callback`]) }]);
    downIdp.serve([{ ...CLIENT, redirectUris: [`${appUrl}/auth/oidc-down/callback`] }]);
    richIdp.serve([{ ...CLIENT, redirectUris: [`${appUrl}/auth/oidc-rich/callback`] }], { idTokenClaims: 'all' });
  });
  after(async () => {
    await t.close();
    await idp.close();
    await downIdp.close().catch(() => undefined);
    await richIdp.close();
  });

  const manager = () => t.auth.userManager as OAuthRecordingManager;
  const users = () => t.dataSource.getRepository(User);
  const links = () => t.dataSource.getRepository(OAuthAccount);

  async function authorizationUrl(browser: Browser, route = '/auth/oidc'): Promise<string> {
    const res = await browser.get(`${appUrl}${route}/authorize`);
    expect(res.status, res.text).to.equal(200);
    return res.json.authorization_url;
  }

  /** authorize → the provider's login and consent → the URL of the app's callback (not yet visited). */
  async function callbackUrl(browser: Browser, login: string, route = '/auth/oidc'): Promise<string> {
    return signInAt(browser, await authorizationUrl(browser, route), login);
  }

  async function signIn(browser: Browser, login: string, route = '/auth/oidc') {
    return browser.get(await callbackUrl(browser, login, route));
  }

  describe('GET /authorize', () => {
    it('answers {authorization_url} with S256 PKCE, a nonce and a state, and binds the flow to the browser with an HttpOnly Secure SameSite=Lax cookie on the controller route', async () => {
      const browser = new Browser();
      const res = await browser.get(`${appUrl}/auth/oidc/authorize`);
      expect(res.status).to.equal(200);
      expect(Object.keys(res.json)).to.deep.equal(['authorization_url']);
      const url = new URL(res.json.authorization_url);
      expect(url.origin).to.equal(idp.issuer);
      expect(url.searchParams.get('code_challenge_method')).to.equal('S256');
      expect(url.searchParams.get('code_challenge')).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(url.searchParams.get('nonce')).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(url.searchParams.get('state')).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(url.searchParams.get('redirect_uri')).to.equal(`${appUrl}/auth/oidc/callback`);
      expect(url.searchParams.get('scope')).to.equal('openid email profile');
      expect(url.searchParams.has('code_verifier')).to.equal(false);
      const cookie = browser.cookie('rcauth_oauth_state')!;
      expect(cookie).to.include({ path: '/auth/oidc', secure: true, httpOnly: true, sameSite: 'lax' });
      expect(cookie.value).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(cookie.value).to.not.equal(url.searchParams.get('state'));
      expect(res.headers.get('set-cookie')).to.match(/Max-Age=600/);
      expect(res.headers.get('cache-control')).to.equal('no-store');
    });

    it('draws a fresh state, challenge and nonce for every flow', async () => {
      const a = new URL(await authorizationUrl(new Browser()));
      const b = new URL(await authorizationUrl(new Browser()));
      for (const p of ['state', 'code_challenge', 'nonce']) expect(a.searchParams.get(p)).to.not.equal(b.searchParams.get(p));
    });
  });

  describe('sign-in', () => {
    it('creates the user on first sign-in (the OIDC sub is the account id), answers like POST /login, and the token opens a protected route', async () => {
      manager().calls = [];
      const userinfoBefore = idp.userinfoCalls;
      const res = await signIn(new Browser(), 'alice');
      expect(res.status, res.text).to.equal(200);
      expect(idp.userinfoCalls, 'the ID token had no email: it was read from userinfo').to.equal(userinfoBefore + 1);
      expect(res.json.token_type).to.equal('bearer');
      expect(Object.keys(res.json).sort()).to.deep.equal(['access_token', 'token_type']);
      expect(res.headers.get('cache-control')).to.equal('no-store');

      const user = (await users().findOneBy({ email: 'alice@example.com' }))!;
      expect(user.isVerified).to.equal(false); // isVerifiedByDefault is off
      const account = (await links().findOneBy({ providerName: 'local', accountId: 'alice' }))!;
      expect(account).to.include({ userId: user.id, accountEmail: 'alice@example.com' });
      expect(manager().calls).to.deep.equal([
        'register:alice@example.com',
        'oauth-register:alice@example.com:local:alice',
        'oauth-login:alice@example.com:alice',
      ]);

      const items = await new Browser({ authorization: `Bearer ${res.json.access_token}` }).get(`${appUrl}/items/`);
      expect(items.status).to.equal(200);
      expect(items.json).to.deep.equal({ owner: 'alice@example.com' });
    });

    it('signs the same user in the second time, found through the link (not created again)', async () => {
      const before = await users().count();
      manager().calls = [];
      const res = await signIn(new Browser(), 'alice');
      expect(res.status).to.equal(200);
      expect(await users().count()).to.equal(before);
      expect(await links().countBy({ accountId: 'alice' })).to.equal(1);
      expect(manager().calls).to.deep.equal(['oauth-login:alice@example.com:alice']);
      const me = await new Browser({ authorization: `Bearer ${res.json.access_token}` }).get(`${appUrl}/items/`);
      expect(me.json.owner).to.equal('alice@example.com');
    });

    it('finds the user through the link even after the provider reports another email', async () => {
      await signIn(new Browser(), 'erin');
      const erin = (await users().findOneBy({ email: 'erin@example.com' }))!;
      idp.accounts.set('erin', { email: 'erin.new@example.com', emailVerified: true });
      const res = await signIn(new Browser(), 'erin');
      expect(res.status).to.equal(200);
      const me = await new Browser({ authorization: `Bearer ${res.json.access_token}` }).get(`${appUrl}/items/`);
      expect(me.json.owner).to.equal('erin@example.com');
      expect((await links().findOneBy({ accountId: 'erin' }))!).to.include({ userId: erin.id, accountEmail: 'erin.new@example.com' });
      expect(await users().countBy({ email: 'erin.new@example.com' })).to.equal(0);
    });

    it('a user created by social login cannot log in with any password until a reset sets one', async () => {
      const user = (await users().findOneBy({ email: 'alice@example.com' }))!;
      expect(user.hashedPassword.startsWith('!')).to.equal(true);
      for (const password of [PASSWORD, '', 'x', user.hashedPassword, user.hashedPassword.slice(1), 'undefined', 'null']) {
        const res = await new Browser().postForm(`${appUrl}/auth/jwt/login`, { username: 'alice@example.com', password });
        expect(res.status).to.be.oneOf([400]);
        expect(res.json.code).to.be.oneOf(['LOGIN_BAD_CREDENTIALS', 'VALIDATION_ERROR']);
      }
      const token = (await t.auth.userManager.forgotPassword(user))!;
      await t.auth.userManager.resetPassword(token, 'an entirely fresh passphrase 77');
      const res = await new Browser().postForm(`${appUrl}/auth/jwt/login`, { username: 'alice@example.com', password: 'an entirely fresh passphrase 77' });
      expect(res.status).to.equal(200);
    });

    it('takes the email and its verification from the ID token when it carries them (no userinfo call)', async () => {
      const res = await signIn(new Browser(), 'grace', '/auth/oidc-rich');
      expect(res.status, res.text).to.equal(200);
      expect(richIdp.userinfoCalls).to.equal(0);
      expect((await users().findOneBy({ email: 'grace@example.com' }))!.isVerified).to.equal(true);
    });

    it('with a cookie backend and redirectUrl: 303 to redirectUrl with the session cookie set', async () => {
      const browser = new Browser();
      const res = await signIn(browser, 'cookieuser', '/auth/oidc-cookie');
      expect(res.status).to.equal(303);
      expect(res.location).to.equal('http://app.example/welcome');
      expect(browser.cookie('rcauth')).to.not.equal(undefined);
      expect(browser.cookie('rcauth_oauth_state')).to.equal(undefined); // used up and cleared
      const whoami = await browser.get(`${appUrl}/items/whoami`);
      expect(whoami.json).to.deep.equal({ email: 'cookie-user@example.com' });
    });

    it('answers 400 OAUTH_EMAIL_NOT_AVAILABLE when the provider shares no email, creating nothing', async () => {
      const before = await users().count();
      const res = await signIn(new Browser(), 'noemail');
      expect(res.status).to.equal(400);
      expect(res.json).to.deep.equal({ code: 'OAUTH_EMAIL_NOT_AVAILABLE', message: res.json.message });
      expect(await users().count()).to.equal(before);
      expect(await links().countBy({ accountId: 'noemail' })).to.equal(0);
    });

    it('answers 400 OAUTH_AUTHORIZATION_DENIED when the provider reports an error (the user cancelled)', async () => {
      const browser = new Browser();
      const state = new URL(await authorizationUrl(browser)).searchParams.get('state')!;
      const res = await browser.get(`${appUrl}/auth/oidc/callback?error=access_denied&state=${state}`);
      expect(res.status).to.equal(400);
      expect(res.json.code).to.equal('OAUTH_AUTHORIZATION_DENIED');
    });
  });

  describe('login CSRF through the social sign-in (a cookie backend)', () => {
    const EVIL = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };

    it('GET /authorize from a foreign page → 403 CSRF_FAILED and no state cookie; from the app itself → 200', async () => {
      const browser = new Browser();
      const res = await browser.get(`${appUrl}/auth/oidc-cookie/authorize`, { ...EVIL, referer: 'https://evil.example/' });
      expect(res.status).to.equal(403);
      expect(res.json.code).to.equal('CSRF_FAILED');
      expect(res.headers.getSetCookie()).to.deep.equal([]);
      const own = await browser.get(`${appUrl}/auth/oidc-cookie/authorize`, { 'sec-fetch-site': 'same-origin', referer: `${appUrl}/` });
      expect(own.status).to.equal(200);
      expect(browser.cookie('rcauth_oauth_state')).to.not.equal(undefined);
    });

    it('a bearer backend’s /authorize answers a foreign page (its sign-in ends in a response body, not in a cookie of the browser)', async () => {
      const res = await new Browser().get(`${appUrl}/auth/oidc/authorize`, EVIL);
      expect(res.status).to.equal(200);
    });

    it('the callback arrives cross-site, as after every real provider redirect, and signs in: the browser-bound state stands in for the origin check', async () => {
      const browser = new Browser();
      idp.accounts.set('csrf-owner', { email: 'csrf-owner@example.com', emailVerified: true });
      const url = await callbackUrl(browser, 'csrf-owner', '/auth/oidc-cookie');
      const res = await browser.get(url, { 'sec-fetch-site': 'cross-site', referer: `${idp.issuer}/` });
      expect(res.status, res.text).to.equal(303);
      expect(browser.cookie('rcauth')).to.not.equal(undefined);
    });

    for (const victimHasAFlow of [false, true]) {
      it(`the attacker's own callback URL (valid code and state) opened in the victim's browser${victimHasAFlow ? ', which has a sign-in of its own under way' : ''} → 400 OAUTH_INVALID_STATE, no session cookie`, async () => {
        idp.accounts.set('csrf-attacker', { email: 'csrf-attacker@example.com', emailVerified: true });
        const attacker = new Browser();
        const url = await callbackUrl(attacker, 'csrf-attacker', '/auth/oidc-cookie');
        const victim = new Browser();
        if (victimHasAFlow) await authorizationUrl(victim, '/auth/oidc-cookie');
        const res = await victim.get(url, { 'sec-fetch-site': 'cross-site', referer: 'https://evil.example/' });
        expect(res.status).to.equal(400);
        expect(res.json.code).to.equal('OAUTH_INVALID_STATE');
        expect(victim.cookie('rcauth')).to.equal(undefined);
        expect(res.headers.getSetCookie().filter((c) => c.startsWith('rcauth='))).to.deep.equal([]);
      });
    }

    it('GET /associate/authorize with the session cookie from a foreign page → 403 CSRF_FAILED, no state cookie', async () => {
      const browser = new Browser();
      await createUser(t.auth, { email: 'csrf-associate@example.com' });
      const login = await browser.postForm(`${appUrl}/auth/cookie/login`, { username: 'csrf-associate@example.com', password: PASSWORD });
      expect(login.status).to.equal(204);
      const res = await browser.get(`${appUrl}/auth/oidc-cookie/associate/authorize`, {
        'sec-fetch-site': 'same-site',
        referer: 'http://evil.127.0.0.1.nip.io/',
      });
      expect(res.status).to.equal(403);
      expect(res.json.code).to.equal('CSRF_FAILED');
      expect(res.headers.getSetCookie()).to.deep.equal([]);
      const own = await browser.get(`${appUrl}/auth/oidc-cookie/associate/authorize`);
      expect(own.status).to.equal(200);
      expect(browser.cookie('rcauth_oauth_state_associate')).to.not.equal(undefined);
    });
  });

  describe('the ID token’s authorized party (azp)', () => {
    afterEach(() => {
      idp.rewriteIdToken = undefined;
    });

    async function signInWithIdToken(login: string, rewrite: (claims: Record<string, unknown>) => Record<string, unknown>) {
      idp.accounts.set(login, { email: `${login}@example.com`, emailVerified: true });
      const browser = new Browser();
      const url = await callbackUrl(browser, login);
      idp.rewriteIdToken = rewrite;
      return browser.get(url);
    }

    it('control: an ID token re-signed by the provider with azp = this client signs in (200)', async () => {
      const res = await signInWithIdToken('azp-own', (claims) => ({ ...claims, azp: CLIENT.clientId }));
      expect(res.status, res.text).to.equal(200);
      expect(await users().countBy({ email: 'azp-own@example.com' })).to.equal(1);
    });

    it('azp naming another client (aud this client alone) → 502 OAUTH_PROVIDER_ERROR, nothing created (openid-client alone accepted it)', async () => {
      const res = await signInWithIdToken('azp-other', (claims) => ({ ...claims, azp: 'another-client' }));
      expect(res.status).to.equal(502);
      expect(res.json.code).to.equal('OAUTH_PROVIDER_ERROR');
      expect(await users().countBy({ email: 'azp-other@example.com' })).to.equal(0);
      expect(await links().countBy({ accountId: 'azp-other' })).to.equal(0);
    });

    it('several audiences with azp another client, or without azp → 502 (openid-client refuses these itself)', async () => {
      for (const [login, extra] of [
        ['azp-multi', { azp: 'another-client' }],
        ['azp-missing', {}],
      ] as const) {
        const res = await signInWithIdToken(login, (claims) => ({ ...claims, ...extra, aud: [CLIENT.clientId, 'another-client'] }));
        expect(res.status, login).to.equal(502);
        expect(await users().countBy({ email: `${login}@example.com` })).to.equal(0);
      }
    });
  });

  describe('the state', () => {
    const expectInvalidState = (res: { status: number; json: any }) => {
      expect(res.status).to.equal(400);
      expect(res.json).to.deep.equal({ code: 'OAUTH_INVALID_STATE', message: res.json.message });
    };

    it('a callback without the state cookie → 400 OAUTH_INVALID_STATE, nothing created, an oauth.failed event published', async () => {
      const url = await callbackUrl(new Browser(), 'bob');
      const events: any[] = [];
      const listener = (event: any) => events.push(event);
      t.auth.events.on('oauth.failed', listener);
      try {
        expectInvalidState(await new Browser().get(url));
      } finally {
        t.auth.events.off('oauth.failed', listener);
      }
      expect(await users().countBy({ email: 'bob@example.com' })).to.equal(0);
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ type: 'oauth.failed', provider: 'local', flow: 'login', code: 'OAUTH_INVALID_STATE' });
      expect(JSON.stringify(events[0])).to.not.include(new URL(url).searchParams.get('code')!);
    });

    it("a callback carrying another browser's state cookie → 400 OAUTH_INVALID_STATE (login CSRF)", async () => {
      const attacker = new Browser();
      const url = await callbackUrl(attacker, 'mallory');
      const victim = new Browser();
      await authorizationUrl(victim); // the victim has a state cookie of its own
      expectInvalidState(await victim.get(url));
      expect(await users().countBy({ email: 'mallory@example.com' })).to.equal(0);
    });

    it('a state used before → 400 OAUTH_INVALID_STATE, even with its cookie', async () => {
      const browser = new Browser();
      const url = await callbackUrl(browser, 'bob');
      const cookie = { ...browser.cookie('rcauth_oauth_state')! };
      expect((await browser.get(url)).status).to.equal(200);
      browser.setCookie(cookie);
      expectInvalidState(await browser.get(url));
    });

    it('a state older than 10 minutes → 400 OAUTH_INVALID_STATE; younger is accepted', async () => {
      clock = Date.now();
      const late = new Browser();
      const lateUrl = await callbackUrl(late, 'bob', '/auth/oidc-clock');
      const onTime = new Browser();
      const onTimeUrl = await callbackUrl(onTime, 'bob', '/auth/oidc-clock');
      clock += 9 * 60 * 1000;
      expect((await onTime.get(onTimeUrl)).status).to.equal(200);
      clock += 60 * 1000 + 1;
      expectInvalidState(await late.get(lateUrl));
    });

    it('a forged, empty or oversized state → 400 OAUTH_INVALID_STATE', async () => {
      const browser = new Browser();
      await authorizationUrl(browser);
      for (const state of ['', 'forged', 'x'.repeat(5000)]) expectInvalidState(await browser.get(`${appUrl}/auth/oidc/callback?code=abc&state=${state}`));
      expectInvalidState(await browser.get(`${appUrl}/auth/oidc/callback?code=abc`));
    });

    it('a login state is refused by the associate callback', async () => {
      const { json } = await signIn(new Browser(), 'bob');
      const browser = new Browser({ authorization: `Bearer ${json.access_token}` });
      const url = new URL(await callbackUrl(browser, 'bob'));
      const res = await browser.get(`${appUrl}/auth/oidc/associate/callback${url.search}`);
      expectInvalidState(res);
    });
  });

  describe('code, nonce and ID token', () => {
    it('a replayed authorization code → 400 OAUTH_INVALID_CODE', async () => {
      const browser = new Browser();
      const first = new URL(await callbackUrl(browser, 'bob'));
      expect((await browser.get(first.toString())).status).to.equal(200);
      // A new flow in the same browser (valid state and cookie) presenting the old code.
      const second = new URL(await callbackUrl(browser, 'bob'));
      second.searchParams.set('code', first.searchParams.get('code')!);
      const res = await browser.get(second.toString());
      expect(res.status).to.equal(400);
      expect(res.json.code).to.equal('OAUTH_INVALID_CODE');
    });

    it('a code issued to another flow (an injected code: PKCE verifier mismatch) → 400 OAUTH_INVALID_CODE', async () => {
      const victim = new Browser();
      const victimCallback = new URL(await callbackUrl(victim, 'bob'));
      const attacker = new Browser();
      const attackerCallback = new URL(await callbackUrl(attacker, 'mallory'));
      attackerCallback.searchParams.set('code', victimCallback.searchParams.get('code')!);
      const res = await attacker.get(attackerCallback.toString());
      expect(res.status).to.equal(400);
      expect(res.json.code).to.equal('OAUTH_INVALID_CODE');
      expect(await users().countBy({ email: 'mallory@example.com' })).to.equal(0);
    });

    it('a tampered nonce in the authorization request → refused (400 OAUTH_INVALID_STATE), nothing created', async () => {
      const browser = new Browser();
      const url = new URL(await authorizationUrl(browser));
      url.searchParams.set('nonce', 'attacker-chosen-nonce-0123456789abcdefghijk');
      const res = await browser.get(await signInAt(browser, url.toString(), 'dave'));
      expect(res.status).to.equal(400);
      expect(res.json.code).to.equal('OAUTH_INVALID_STATE');
      expect(await users().countBy({ email: 'dave@example.com' })).to.equal(0);
    });

    it('a tampered ID token → refused (502 OAUTH_PROVIDER_ERROR), nothing created', async () => {
      const browser = new Browser();
      const url = await callbackUrl(browser, 'dave');
      idp.tamperIdToken = true;
      try {
        const res = await browser.get(url);
        expect(res.status).to.equal(502);
        expect(res.json).to.deep.equal({ code: 'OAUTH_PROVIDER_ERROR', message: res.json.message });
      } finally {
        idp.tamperIdToken = false;
      }
      expect(await users().countBy({ email: 'dave@example.com' })).to.equal(0);
      expect(await users().countBy({ email: 'victim@example.com' })).to.equal(0);
      expect(await links().countBy({ accountId: 'dave' })).to.equal(0);
    });
  });

  describe('an existing email', () => {
    before(async () => {
      await createUser(t.auth, { email: 'owner1@example.com' });
      await createUser(t.auth, { email: 'owner2@example.com', isVerified: true });
      await createUser(t.auth, { email: 'owner3@example.com' });
    });

    it('associateByEmail off (default) → 400 OAUTH_USER_ALREADY_EXISTS, no link, nothing created', async () => {
      const before = await users().count();
      const res = await signIn(new Browser(), 'taken-off');
      expect(res.status).to.equal(400);
      expect(res.json.code).to.equal('OAUTH_USER_ALREADY_EXISTS');
      expect(await links().countBy({ accountId: 'taken-off' })).to.equal(0);
      expect(await users().count()).to.equal(before);
    });

    it('associateByEmail on, email not verified by the provider → 400 OAUTH_USER_ALREADY_EXISTS, no link', async () => {
      const res = await signIn(new Browser(), 'taken-unverified', '/auth/oidc-link');
      expect(res.status).to.equal(400);
      expect(res.json.code).to.equal('OAUTH_USER_ALREADY_EXISTS');
      expect(await links().countBy({ accountId: 'taken-unverified' })).to.equal(0);
    });

    it('associateByEmail on, email verified by the provider, account verified → linked, and the existing user is signed in (email matched case-insensitively)', async () => {
      const owner = (await users().findOneBy({ email: 'owner2@example.com' }))!;
      const res = await signIn(new Browser(), 'taken-verified', '/auth/oidc-link');
      expect(res.status, res.text).to.equal(200);
      expect((await links().findOneBy({ accountId: 'taken-verified' }))!.userId).to.equal(owner.id);
      const me = await new Browser({ authorization: `Bearer ${res.json.access_token}` }).get(`${appUrl}/items/`);
      expect(me.json.owner).to.equal('owner2@example.com');
      // Linking to a verified account does not touch the password: the owner still logs in with it.
      expect((await new Browser().postForm(`${appUrl}/auth/jwt/login`, { username: 'owner2@example.com', password: PASSWORD })).status).to.equal(200);
    });

    it('isVerifiedByDefault: a new user takes isVerified from the verified email claim', async () => {
      const res = await signIn(new Browser(), 'frank', '/auth/oidc-link');
      expect(res.status).to.equal(200);
      expect((await users().findOneBy({ email: 'frank@example.com' }))!.isVerified).to.equal(true);
    });
  });

  describe('associate', () => {
    let owner: User;
    let ownerToken: string;
    let other: User;
    let otherToken: string;

    before(async () => {
      owner = await createUser(t.auth, { email: 'linker@example.com' });
      other = await createUser(t.auth, { email: 'other-linker@example.com' });
      ownerToken = await t.auth.createToken(owner, { backend: 'jwt' });
      otherToken = await t.auth.createToken(other, { backend: 'jwt' });
    });

    async function associateCallbackUrl(browser: Browser, login: string): Promise<string> {
      const res = await browser.get(`${appUrl}/auth/oidc/associate/authorize`);
      expect(res.status, res.text).to.equal(200);
      const url = new URL(res.json.authorization_url);
      expect(url.searchParams.get('redirect_uri')).to.equal(`${appUrl}/auth/oidc/associate/callback`);
      return signInAt(browser, url.toString(), login);
    }

    it('needs authentication (401)', async () => {
      expect((await new Browser().get(`${appUrl}/auth/oidc/associate/authorize`)).status).to.equal(401);
      expect((await new Browser().get(`${appUrl}/auth/oidc/associate/callback?code=x&state=y`)).status).to.equal(401);
    });

    it('links the provider account to the current user; it then signs that user in', async () => {
      const browser = new Browser({ authorization: `Bearer ${ownerToken}` });
      const res = await browser.get(await associateCallbackUrl(browser, 'carol'));
      expect(res.status, res.text).to.equal(200);
      expect(res.json).to.include({ id: owner.id, email: 'linker@example.com' });
      expect(res.json).to.not.have.property('hashedPassword');
      expect((await links().findOneBy({ accountId: 'carol' }))!.userId).to.equal(owner.id);

      const login = await signIn(new Browser(), 'carol');
      const me = await new Browser({ authorization: `Bearer ${login.json.access_token}` }).get(`${appUrl}/items/`);
      expect(me.json.owner).to.equal('linker@example.com');
      expect(await users().countBy({ email: 'carol@example.com' })).to.equal(0);
    });

    it("user A's associate state used by user B → 400 OAUTH_INVALID_STATE, no link", async () => {
      // One browser: A starts linking, then B is the one signed in when the callback lands.
      const browser = new Browser({ authorization: `Bearer ${ownerToken}` });
      const url = await associateCallbackUrl(browser, 'mallory');
      browser.extraHeaders = { authorization: `Bearer ${otherToken}` };
      const res = await browser.get(url);
      expect(res.status).to.equal(400);
      expect(res.json.code).to.equal('OAUTH_INVALID_STATE');
      expect(await links().countBy({ accountId: 'mallory' })).to.equal(0);
    });

    it("an attacker's associate callback opened in a signed-in victim's browser → 400 OAUTH_INVALID_STATE (no forced linking)", async () => {
      const attacker = new Browser({ authorization: `Bearer ${otherToken}` });
      const url = await associateCallbackUrl(attacker, 'mallory');
      const victim = new Browser({ authorization: `Bearer ${ownerToken}` });
      const res = await victim.get(url);
      expect(res.status).to.equal(400);
      expect(res.json.code).to.equal('OAUTH_INVALID_STATE');
      expect(await links().countBy({ accountId: 'mallory' })).to.equal(0);
    });

    it('an account linked to another user → 400 OAUTH_ACCOUNT_ALREADY_LINKED', async () => {
      const browser = new Browser({ authorization: `Bearer ${otherToken}` });
      const res = await browser.get(await associateCallbackUrl(browser, 'alice'));
      expect(res.status).to.equal(400);
      expect(res.json.code).to.equal('OAUTH_ACCOUNT_ALREADY_LINKED');
      const alice = (await users().findOneBy({ email: 'alice@example.com' }))!;
      expect((await links().findOneBy({ accountId: 'alice' }))!.userId).to.equal(alice.id);
    });

    it('linking again an account already linked to the same user is accepted', async () => {
      const browser = new Browser({ authorization: `Bearer ${ownerToken}` });
      const res = await browser.get(await associateCallbackUrl(browser, 'carol'));
      expect(res.status).to.equal(200);
      expect(await links().countBy({ accountId: 'carol' })).to.equal(1);
    });
  });

  describe('the provider down', () => {
    it('→ 502 OAUTH_PROVIDER_ERROR with no stack and nothing created', async () => {
      const browser = new Browser();
      const url = await callbackUrl(browser, 'zed', '/auth/oidc-down');
      await downIdp.close();
      const usersBefore = await users().count();
      const linksBefore = await links().count();
      const res = await browser.get(url);
      expect(res.status).to.equal(502);
      expect(res.json).to.deep.equal({ code: 'OAUTH_PROVIDER_ERROR', message: res.json.message });
      expect(res.text).to.not.match(/stack|ECONNREFUSED|at \w+ \(/);
      expect(await users().count()).to.equal(usersBefore);
      expect(await links().count()).to.equal(linksBefore);
    });

    it('an issuer that cannot be reached → 502 OAUTH_PROVIDER_ERROR at /authorize, and no state is left waiting', async () => {
      const browser = new Browser();
      const res = await browser.get(`${appUrl}/auth/oidc-unreachable/authorize`);
      expect(res.status).to.equal(502);
      expect(res.json).to.deep.equal({ code: 'OAUTH_PROVIDER_ERROR', message: res.json.message });
      expect(res.headers.get('set-cookie')).to.equal(null);
    });
  });
});
