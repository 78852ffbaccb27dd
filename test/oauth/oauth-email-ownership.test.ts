import { expect } from 'chai';
import { JsonController } from 'routing-controllers';
import { DataSource } from 'typeorm';
import {
  AccessToken,
  Auth,
  AuthConfigurationError,
  AuthenticationBackend,
  AuthSession,
  BearerTransport,
  DatabaseRevocationStore,
  DatabaseStrategy,
  JwtRevocation,
  JwtStrategy,
  OAuthAccount,
  OAuthController,
  OpenIdProvider,
  RefreshToken,
  RegisterController,
  ResetPasswordController,
  UserManager,
  VerifyController,
  type AuthEvent,
  type OAuthAccountLink,
  type OAuthAccountStore,
  type OAuthControllerOptions,
  TypeOrmOAuthAccountStore,
  type OAuthUnlinkReason,
} from '../../src';
import { buildApp, PASSWORD, SECRET, type DataSourceKind, type TestApp, User } from '../support/app';
import { Browser } from '../support/browser';
import { eventually } from '../support/eventually';
import { signInAt, TestOpenIdProvider } from '../support/oidc-provider';

const CLIENT = { clientId: 'rcauth-ownership', clientSecret: 'rcauth-ownership-secret-0123456789' };
const ATTACKER_PASSWORD = 'the attacker chose this passphrase 31';
const OWNER_PASSWORD = 'the real owner picks a new passphrase 52';

/** Keeps the tokens the app would email, and what the unlink hook saw. */
class MailboxManager extends UserManager<User> {
  verifyTokens = new Map<string, string>();
  resetTokens = new Map<string, string>();
  unlinked: { email: string; accounts: string[]; reason: OAuthUnlinkReason }[] = [];
  onAfterRequestVerify(user: User, token: string) {
    this.verifyTokens.set(user.email, token);
  }
  onAfterForgotPassword(user: User, token: string) {
    this.resetTokens.set(user.email, token);
  }
  onAfterOAuthUnlinked(user: User, accounts: OAuthAccount[], reason: OAuthUnlinkReason) {
    this.unlinked.push({ email: user.email, accounts: accounts.map((a) => a.accountId), reason });
  }
}

function dataSourceFor(kind: DataSourceKind): DataSource {
  const entities = [User, AccessToken, JwtRevocation, AuthSession, RefreshToken, OAuthAccount];
  if (kind === 'sqlite') return new DataSource({ type: 'better-sqlite3', database: ':memory:', entities, synchronize: true });
  return new DataSource({ type: 'postgres', url: process.env.TEST_DATABASE_URL, entities, synchronize: true, dropSchema: true });
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`Email ownership and social login (${kind}): pre-account takeover and unverified provider emails`, function () {
    this.timeout(60000);
    let idp: TestOpenIdProvider;
    let t: TestApp;
    let appUrl = '';
    const events: AuthEvent[] = [];

    function oauthRoute(route: string, provider: () => OpenIdProvider, options: Partial<OAuthControllerOptions<User>> = {}): Function {
      @JsonController(route)
      class TestOAuthController extends OAuthController<User> {
        constructor() {
          super(provider(), 'db', { redirectUri: `${appUrl}${route}/callback`, auth: t.auth, ...options });
        }
      }
      return TestOAuthController;
    }
    let instance: OpenIdProvider | undefined;
    const local = () => (instance ??= new OpenIdProvider({ name: 'local', issuer: idp.issuer, ...CLIENT, allowInsecureRequests: true, timeoutSeconds: 5 }));

    before(async () => {
      idp = await TestOpenIdProvider.listen({});
      @JsonController('/auth')
      class Register extends RegisterController {}
      @JsonController('/auth')
      class Verify extends VerifyController {}
      @JsonController('/auth')
      class Reset extends ResetPasswordController {}
      t = await buildApp({
        dataSource: dataSourceFor(kind),
        userManager: MailboxManager,
        onEvent: (event) => events.push(event),
        backends: [
          new AuthenticationBackend({
            name: 'jwt',
            transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
            strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600, revocation: new DatabaseRevocationStore() }),
          }),
          new AuthenticationBackend({
            name: 'db',
            transport: new BearerTransport({ tokenUrl: '/auth/db/login' }),
            strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
            refresh: { lifetimeSeconds: 3600 },
          }),
        ],
        extraControllers: [Register, Verify, Reset, oauthRoute('/auth/oidc', local), oauthRoute('/auth/oidc-link', local, { associateByEmail: true })],
      });
      appUrl = (await t.listen()).url;
      const routes = ['/auth/oidc', '/auth/oidc-link'];
      idp.serve([{ ...CLIENT, redirectUris: routes.flatMap((r) => [`${appUrl}${r}/callback`, `${appUrl}${r}/associate/callback`]) }]);
    });
    after(async () => {
      await t.close();
      await idp.close();
    });
    beforeEach(() => {
      events.length = 0;
      manager().unlinked = [];
    });

    const manager = () => t.auth.userManager as MailboxManager;
    const users = () => t.dataSource.getRepository(User);
    const links = () => t.dataSource.getRepository(OAuthAccount);
    const bearer = (token: string) => new Browser({ authorization: `Bearer ${token}` });
    const json = (body: unknown) => [JSON.stringify(body), { 'content-type': 'application/json' }] as const;

    /** A fresh provider identity (a `sub` of the test provider) with this email claim. */
    function identity(email: string, emailVerified: boolean): string {
      const sub = `sub-${Math.random().toString(36).slice(2)}`;
      idp.accounts.set(sub, { email, emailVerified });
      return sub;
    }
    const uniqueEmail = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}@example.com`;

    async function signIn(sub: string, route = '/auth/oidc') {
      const browser = new Browser();
      const authorize = await browser.get(`${appUrl}${route}/authorize`);
      expect(authorize.status, authorize.text).to.equal(200);
      return browser.get(await signInAt(browser, authorize.json.authorization_url, sub));
    }

    /** The provider identity linked to the user holding `accessToken` (the associate flow). */
    async function associate(accessToken: string, sub: string) {
      const browser = bearer(accessToken);
      const authorize = await browser.get(`${appUrl}/auth/oidc/associate/authorize`);
      expect(authorize.status, authorize.text).to.equal(200);
      const res = await browser.get(await signInAt(browser, authorize.json.authorization_url, sub));
      expect(res.status, res.text).to.equal(200);
    }

    const passwordLogin = (backend: string, email: string, password: string) =>
      new Browser().postForm(`${appUrl}/auth/${backend}/login`, { username: email, password });
    const refresh = (refreshToken: string) => new Browser().postForm(`${appUrl}/auth/db/refresh`, { grant_type: 'refresh_token', refresh_token: refreshToken });
    const whoOwns = async (accessToken: string) => (await bearer(accessToken).get(`${appUrl}/items/`)).json.owner;

    /** Everything a password holder keeps: database access and refresh tokens, and a JWT. */
    async function passwordSessions(email: string, password: string) {
      const db = await passwordLogin('db', email, password);
      expect(db.status, db.text).to.equal(200);
      const jwt = await passwordLogin('jwt', email, password);
      expect(jwt.status, jwt.text).to.equal(200);
      return { access: db.json.access_token as string, refresh: db.json.refresh_token as string, jwt: jwt.json.access_token as string };
    }

    async function expectAllRefused(held: { access: string; refresh: string; jwt?: string }) {
      expect((await bearer(held.access).get(`${appUrl}/items/`)).status, 'database access token').to.equal(401);
      if (held.jwt) expect((await bearer(held.jwt).get(`${appUrl}/items/`)).status, 'JWT').to.equal(401);
      const refreshed = await refresh(held.refresh);
      expect(refreshed.status, 'refresh token').to.equal(400);
      expect(refreshed.json.code).to.equal('REFRESH_TOKEN_INVALID');
    }

    async function expectAllWorking(held: { access: string; refresh: string; jwt?: string }, email: string) {
      expect(await whoOwns(held.access)).to.equal(email);
      if (held.jwt) expect(await whoOwns(held.jwt)).to.equal(email);
      const refreshed = await refresh(held.refresh);
      expect(refreshed.status, refreshed.text).to.equal(200);
    }

    describe('pre-account takeover with associateByEmail', () => {
      it("the attacker registers the victim's address with a password and keeps a session; the victim's verified sign-in ends the attacker's password, tokens and links", async () => {
        const victimEmail = uniqueEmail('victim');
        // 1. The attacker registers the victim's address (never verified) and keeps every kind of token.
        const register = await new Browser().request('POST', `${appUrl}/auth/register`, ...json({ email: victimEmail, password: ATTACKER_PASSWORD }));
        expect(register.status, register.text).to.equal(201);
        const attacker = await passwordSessions(victimEmail, ATTACKER_PASSWORD);
        // ... and links a provider identity of their own (its own address verified, not the victim's).
        const attackerIdentity = identity(uniqueEmail('attacker'), true);
        await associate(attacker.access, attackerIdentity);
        expect((await links().findOneByOrFail({ accountId: attackerIdentity })).emailVerified).to.equal(false);

        // 2. The victim signs in with a provider that verified the address.
        const victimIdentity = identity(victimEmail, true);
        const victim = await signIn(victimIdentity, '/auth/oidc-link');
        expect(victim.status, victim.text).to.equal(200);
        expect(await whoOwns(victim.json.access_token)).to.equal(victimEmail);

        // 3. Nothing of the attacker's works any more.
        const login = await passwordLogin('db', victimEmail, ATTACKER_PASSWORD);
        expect(login.status).to.equal(400);
        expect(login.json).to.deep.equal({ code: 'LOGIN_BAD_CREDENTIALS', message: login.json.message });
        await expectAllRefused(attacker);
        expect(await links().countBy({ accountId: attackerIdentity }), "the attacker's own link is gone").to.equal(0);
        const again = await signIn(attackerIdentity);
        expect(again.status, again.text).to.equal(200);
        expect(await whoOwns(again.json.access_token), "the attacker's identity opens only a new account of its own").to.not.equal(victimEmail);

        // 4. The account is the victim's: verified, linked from a verified claim, the victim's session alive.
        const account = await users().findOneByOrFail({ email: victimEmail });
        expect(account.isVerified).to.equal(true);
        expect(account.hashedPassword.startsWith('!'), 'no usable password').to.equal(true);
        expect(await links().findOneByOrFail({ accountId: victimIdentity })).to.include({ userId: account.id, emailVerified: true });
        await expectAllWorking({ access: victim.json.access_token, refresh: victim.json.refresh_token }, victimEmail);
        const claimed = events.filter((e) => e.type === 'oauth.account_claimed' || e.type === 'oauth.unlinked');
        expect(claimed).to.deep.equal([
          { type: 'oauth.unlinked', userId: account.id, reason: 'email_claimed', links: [{ provider: 'local', accountId: attackerIdentity }] },
          { type: 'oauth.account_claimed', userId: account.id, provider: 'local' },
        ]);
        expect(manager().unlinked).to.deep.equal([{ email: victimEmail, accounts: [attackerIdentity], reason: 'email_claimed' }]);
      });

      it('linking to a verified account keeps its password, its sessions and its links', async () => {
        const email = uniqueEmail('verified-owner');
        const register = await new Browser().request('POST', `${appUrl}/auth/register`, ...json({ email, password: PASSWORD }));
        expect(register.status).to.equal(201);
        await users().update({ email }, { isVerified: true });
        const held = await passwordSessions(email, PASSWORD);
        const firstIdentity = identity(uniqueEmail('own-github'), true);
        await associate(held.access, firstIdentity);

        const res = await signIn(identity(email, true), '/auth/oidc-link');
        expect(res.status, res.text).to.equal(200);
        expect(await whoOwns(res.json.access_token)).to.equal(email);
        expect((await passwordLogin('db', email, PASSWORD)).status).to.equal(200);
        await expectAllWorking(held, email);
        expect((await links().findOneByOrFail({ accountId: firstIdentity })).emailVerified, 'linked by a verified user').to.equal(true);
        expect(events.map((e) => e.type)).to.not.include.members(['oauth.account_claimed', 'oauth.unlinked']);
      });
    });

    describe('provider links made from an unverified email claim', () => {
      /** The attacker signs in first with the victim's address, which their provider did not verify. */
      async function attackerSignsInFirst(victimEmail: string) {
        const attackerIdentity = identity(victimEmail, false);
        const res = await signIn(attackerIdentity);
        expect(res.status, res.text).to.equal(200);
        const account = await users().findOneByOrFail({ email: victimEmail });
        expect(account.isVerified, 'an unverified user is created').to.equal(false);
        expect((await links().findOneByOrFail({ accountId: attackerIdentity })).emailVerified).to.equal(false);
        return { attackerIdentity, account, held: { access: res.json.access_token as string, refresh: res.json.refresh_token as string } };
      }

      async function expectIdentityRefused(attackerIdentity: string) {
        for (const route of ['/auth/oidc', '/auth/oidc-link']) {
          const res = await signIn(attackerIdentity, route);
          expect(res.status, `${route}: ${res.text}`).to.equal(400);
          expect(res.json).to.deep.equal({ code: 'OAUTH_USER_ALREADY_EXISTS', message: res.json.message });
        }
      }

      it('the owner recovers the account by forgot/reset password: the attacker’s identity no longer opens it, its session ends', async () => {
        const victimEmail = uniqueEmail('recovered');
        const { attackerIdentity, account, held } = await attackerSignsInFirst(victimEmail);

        const forgot = await new Browser().request('POST', `${appUrl}/auth/forgot-password`, ...json({ email: victimEmail }));
        expect(forgot.status).to.equal(202);
        await eventually(async () => manager().resetTokens.has(victimEmail), 'the reset email');
        const reset = await new Browser().request(
          'POST',
          `${appUrl}/auth/reset-password`,
          ...json({ token: manager().resetTokens.get(victimEmail), password: OWNER_PASSWORD }),
        );
        expect(reset.status, reset.text).to.equal(200);

        await expectAllRefused(held);
        expect(await links().countBy({ userId: account.id })).to.equal(0);
        await expectIdentityRefused(attackerIdentity);
        const owner = await passwordSessions(victimEmail, OWNER_PASSWORD);
        await expectAllWorking(owner, victimEmail);
        expect(events.filter((e) => e.type === 'oauth.unlinked')).to.deep.equal([
          { type: 'oauth.unlinked', userId: account.id, reason: 'password_reset', links: [{ provider: 'local', accountId: attackerIdentity }] },
        ]);
        expect(manager().unlinked).to.deep.equal([{ email: victimEmail, accounts: [attackerIdentity], reason: 'password_reset' }]);
      });

      it('the owner verifies the address (POST /verify): the attacker’s identity no longer opens the account, its session ends', async () => {
        const victimEmail = uniqueEmail('verified-later');
        const { attackerIdentity, account, held } = await attackerSignsInFirst(victimEmail);

        const request = await new Browser().request('POST', `${appUrl}/auth/request-verify-token`, ...json({ email: victimEmail }));
        expect(request.status).to.equal(202);
        await eventually(async () => manager().verifyTokens.has(victimEmail), 'the verification email');
        const verify = await new Browser().request('POST', `${appUrl}/auth/verify`, ...json({ token: manager().verifyTokens.get(victimEmail) }));
        expect(verify.status, verify.text).to.equal(200);
        expect(verify.json.is_verified ?? verify.json.isVerified).to.equal(true);

        await expectAllRefused(held);
        expect(await links().countBy({ userId: account.id })).to.equal(0);
        await expectIdentityRefused(attackerIdentity);
        expect(manager().unlinked).to.deep.equal([{ email: victimEmail, accounts: [attackerIdentity], reason: 'email_verified' }]);
      });

      it('a link made from a verified claim survives a password reset, and still opens the account', async () => {
        const email = uniqueEmail('kept');
        const sub = identity(email, true);
        const first = await signIn(sub);
        expect(first.status, first.text).to.equal(200);
        const account = await users().findOneByOrFail({ email });
        expect(account.isVerified, 'isVerifiedByDefault is off').to.equal(false);

        const forgot = await new Browser().request('POST', `${appUrl}/auth/forgot-password`, ...json({ email }));
        expect(forgot.status).to.equal(202);
        await eventually(async () => manager().resetTokens.has(email), 'the reset email');
        const reset = await new Browser().request(
          'POST',
          `${appUrl}/auth/reset-password`,
          ...json({ token: manager().resetTokens.get(email), password: OWNER_PASSWORD }),
        );
        expect(reset.status, reset.text).to.equal(200);

        expect(await links().findOneByOrFail({ accountId: sub })).to.include({ userId: account.id, emailVerified: true });
        const again = await signIn(sub);
        expect(again.status, again.text).to.equal(200);
        expect(await whoOwns(again.json.access_token)).to.equal(email);
        expect(events.map((e) => e.type)).to.not.include('oauth.unlinked');
        expect(manager().unlinked).to.deep.equal([]);
      });

      it('a verification that finds no such link ends no session', async () => {
        const email = uniqueEmail('plain');
        const register = await new Browser().request('POST', `${appUrl}/auth/register`, ...json({ email, password: PASSWORD }));
        expect(register.status).to.equal(201);
        const held = await passwordSessions(email, PASSWORD);
        const request = await new Browser().request('POST', `${appUrl}/auth/request-verify-token`, ...json({ email }));
        expect(request.status).to.equal(202);
        await eventually(async () => manager().verifyTokens.has(email), 'the verification email');
        const verify = await new Browser().request('POST', `${appUrl}/auth/verify`, ...json({ token: manager().verifyTokens.get(email) }));
        expect(verify.status, verify.text).to.equal(200);
        await expectAllWorking(held, email);
      });
    });
  });
}

/** Links in memory: an app's own store, known to the library only through Auth.configure. */
class MemoryAccountStore implements OAuthAccountStore {
  readonly links: OAuthAccount[] = [];
  async find(providerName: string, accountId: string) {
    return this.links.find((l) => l.providerName === providerName && l.accountId === accountId) ?? null;
  }
  async link(link: OAuthAccountLink) {
    if (await this.find(link.providerName, link.accountId)) return false;
    this.links.push(Object.assign(new OAuthAccount(), link, { id: `${this.links.length + 1}`, createdAt: new Date() }));
    return true;
  }
  async updateEmail(account: OAuthAccount, accountEmail: string | null) {
    account.accountEmail = accountEmail;
  }
  async unlink(account: OAuthAccount) {
    this.links.splice(this.links.indexOf(account), 1);
  }
  async unlinkUnverified(userId: string) {
    const removed = this.links.filter((l) => l.userId === userId && !l.emailVerified);
    for (const link of removed) await this.unlink(link);
    return removed;
  }
}

describe('Where verification and reset find the provider links', () => {
  let dataSource: DataSource;
  beforeEach(async () => {
    dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [User, AccessToken, OAuthAccount],
      synchronize: true,
    }).initialize();
  });
  afterEach(() => dataSource.destroy());

  const configure = (oauthAccounts?: OAuthAccountStore, on = dataSource) =>
    new Auth<User>({
      dataSource: on,
      userEntity: User,
      secret: SECRET,
      oauthAccounts,
      backends: [new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/login' }), strategy: new DatabaseStrategy() })],
    });
  const link = (userId: string, accountId: string, emailVerified: boolean) => ({ providerName: 'p', accountId, accountEmail: null, userId, emailVerified });

  it("Auth.configure's oauthAccounts: verification removes the unverified links from that store, and only those", async () => {
    const store = new MemoryAccountStore();
    const auth = configure(store);
    const user = await auth.userManager.create({ email: 'mem@example.com', password: PASSWORD });
    await store.link(link(user.id, 'unproven', false));
    await store.link(link(user.id, 'proven', true));
    await store.link(link('someone-else', 'other', false));
    await auth.userManager.verify((await auth.userManager.requestVerify(user))!);
    expect(store.links.map((l) => l.accountId)).to.deep.equal(['proven', 'other']);
    expect(auth.oauthAccounts.default).to.equal(store);
  });

  it("by default, the DataSource's OAuthAccount entity; a DataSource without it has no links to remove", async () => {
    const auth = configure();
    const user = await auth.userManager.create({ email: 'db@example.com', password: PASSWORD });
    const store = auth.oauthAccounts.default;
    await store.link(link(user.id, 'unproven', false));
    const token = (await auth.userManager.forgotPassword(user))!;
    await auth.userManager.resetPassword(token, OWNER_PASSWORD);
    expect(await dataSource.getRepository(OAuthAccount).count()).to.equal(0);

    const bare = await new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [User, AccessToken], synchronize: true }).initialize();
    try {
      const plain = configure(undefined, bare);
      const someone = await plain.userManager.create({ email: 'plain@example.com', password: PASSWORD });
      const verified = await plain.userManager.verify((await plain.userManager.requestVerify(someone))!);
      expect(verified.isVerified).to.equal(true);
    } finally {
      await bare.destroy();
    }
  });

  it("a controller's own `accounts` store must be given to Auth.configure too (else verification could not reach its links)", () => {
    const known = new MemoryAccountStore();
    const auth = configure(known);
    expect(() => auth.oauthAccounts.assertKnown(known)).to.not.throw();
    expect(() => auth.oauthAccounts.assertKnown(new MemoryAccountStore())).to.throw(AuthConfigurationError, /Auth\.configure\(\{ oauthAccounts \}\)/);
    expect(() => configure().oauthAccounts.assertKnown(new TypeOrmOAuthAccountStore(dataSource))).to.throw(AuthConfigurationError);
  });
});
