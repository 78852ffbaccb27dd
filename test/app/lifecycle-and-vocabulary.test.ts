/**
 * One lifecycle and one verb. Every pluggable piece — strategy, revocation store, session store,
 * user store, OAuth account store — gets `init(context)` once when the app is configured and
 * `ready()` at `auth.ready()`, whatever its class (no `instanceof`: a third-party piece gets what
 * the library's own get). Revoking is `revoke…` everywhere; a strategy written against the old
 * `destroy…` names keeps working; `onAfterLogin` fails like every other after-hook.
 */
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import request from 'supertest';
import {
  AuthenticationBackend,
  BearerTransport,
  CookieTransport,
  DatabaseRevocationStore,
  DatabaseStrategy,
  JwtStrategy,
  TypeOrmOAuthAccountStore,
  TypeOrmSessionStore,
  TypeOrmUserStore,
  UserManager,
  type AuthEvent,
  type ChallengeParams,
  type HttpExchange,
  type IssuedToken,
  type LoginResponseBody,
  type Transport,
  type PluginContext,
  type RevocationStore,
  type Strategy,
  type TokenGrant,
  type TokenRequest,
} from '../../src';
import { captureConsoleErrors } from '../support/console';
import { buildApp, createUser, makeDataSource, PASSWORD, SECRET, type TestApp, User } from '../support/app';

/** A third-party strategy written before the `revoke…` names: it has only `destroy…`. */
class LegacyMemoryStrategy implements Strategy {
  readonly lifetimeSeconds = 3600;
  readonly tokens = new Map<string, TokenGrant>();
  readonly calls: string[] = [];
  async write(request: TokenRequest): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { userId: request.userId, scopes: request.scopes, sessionId: request.sessionId });
    return token;
  }
  async read(token: string): Promise<TokenGrant | null> {
    return this.tokens.get(token) ?? null;
  }
  async destroy(token: string): Promise<void> {
    this.calls.push('destroy');
    this.tokens.delete(token);
  }
  async destroyAllForUser(userId: string): Promise<void> {
    this.calls.push('destroyAllForUser');
    for (const [token, grant] of this.tokens) if (grant.userId === userId) this.tokens.delete(token);
  }
  async destroySession(sessionId: string): Promise<void> {
    this.calls.push('destroySession');
    for (const [token, grant] of this.tokens) if (grant.sessionId === sessionId) this.tokens.delete(token);
  }
}

/** A third-party revocation store: what the library's own stores get, it gets too. */
class RecordingRevocationStore implements RevocationStore {
  contexts: PluginContext[] = [];
  readyCalls = 0;
  init(context: PluginContext): void {
    this.contexts.push(context);
  }
  async ready(): Promise<void> {
    this.readyCalls++;
  }
  async isRevoked(_token: IssuedToken): Promise<boolean> {
    return false;
  }
  async revoke(): Promise<void> {}
  async revokeAllIssuedBefore(): Promise<void> {}
}

describe('lifecycle: init(context) once, ready() at auth.ready(), for every pluggable piece', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('third-party strategy, revocation, session, user and OAuth account stores each get the same context once, and ready()', async () => {
    const dataSource = makeDataSource();
    const seen: Record<string, PluginContext[]> = { strategy: [], session: [], user: [], accounts: [] };
    const readied: string[] = [];
    const revocation = new RecordingRevocationStore();
    class Jwt extends JwtStrategy {
      init(context: PluginContext): void {
        seen.strategy.push(context);
        super.init(context);
      }
    }
    class Sessions extends TypeOrmSessionStore {
      init(context: PluginContext): void {
        seen.session.push(context);
        super.init(context);
      }
      async ready(): Promise<void> {
        readied.push('session');
        await super.ready();
      }
    }
    class Users extends TypeOrmUserStore<User> {
      init(context: PluginContext): void {
        seen.user.push(context);
      }
    }
    class Accounts extends TypeOrmOAuthAccountStore {
      init(context: PluginContext): void {
        seen.accounts.push(context);
      }
      async ready(): Promise<void> {
        readied.push('accounts');
      }
    }
    const sessions = new Sessions();
    const strategy = new Jwt({ secret: SECRET, revocation });
    t = await buildApp({
      dataSource,
      userStore: new Users(dataSource, User),
      oauthAccounts: new Accounts(dataSource),
      backends: [
        new AuthenticationBackend({ name: 'a', transport: new BearerTransport({ tokenUrl: '/auth/a/login' }), strategy, refresh: { store: sessions } }),
        new AuthenticationBackend({ name: 'b', transport: new BearerTransport({ tokenUrl: '/auth/b/login' }), strategy, refresh: { store: sessions } }),
      ],
    });
    const context = t.auth.context.plugins;
    expect(context.dataSource).to.equal(dataSource);
    expect(context.events).to.equal(t.auth.events);
    // A strategy and a store shared by two backends are initialised (and readied) once each.
    expect(seen.strategy).to.deep.equal([context]);
    expect(seen.session).to.deep.equal([context]);
    expect(seen.user).to.deep.equal([context]);
    expect(seen.accounts).to.deep.equal([context]);
    expect(revocation.contexts).to.deep.equal([context]);

    await t.auth.ready({ controllers: [] });
    expect(revocation.readyCalls).to.equal(1);
    expect(readied.sort()).to.deep.equal(['accounts', 'session']);
  });

  it("the library's DataSource-using stores take the app's DataSource from init (no useDataSource call needed)", async () => {
    const revocation = new DatabaseRevocationStore();
    const store = new TypeOrmSessionStore();
    t = await buildApp({
      backends: [
        new AuthenticationBackend({
          name: 'jwt',
          transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
          strategy: new JwtStrategy({ secret: SECRET, revocation }),
          refresh: { store },
        }),
      ],
    });
    await createUser(t.auth, { email: 'init@example.com' });
    const login = await request(t.app).post('/auth/jwt/login').type('form').send({ username: 'init@example.com', password: PASSWORD });
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    const logout = await request(t.app).post('/auth/jwt/logout').set('Authorization', `Bearer ${login.body.access_token}`);
    expect(logout.status).to.equal(204);
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${login.body.access_token}`)).status).to.equal(401);
    expect(await store.listForUser((await t.auth.userManager.getByEmail('init@example.com'))!.id)).to.deep.equal([]);
  });
});

describe('one verb: revoke (the old destroy… / end… names still work)', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('a strategy with only destroy, destroyAllForUser and destroySession: logout, session revocation and "log out everywhere" still reach it', async () => {
    const legacy = new LegacyMemoryStrategy();
    t = await buildApp({
      backends: [new AuthenticationBackend({ name: 'old', transport: new BearerTransport({ tokenUrl: '/auth/old/login' }), strategy: legacy, refresh: {} })],
    });
    const user = await createUser(t.auth, { email: 'legacy@example.com' });
    const login = async () => (await request(t.app).post('/auth/old/login').type('form').send({ username: user.email, password: PASSWORD })).body;

    const first = await login();
    expect((await request(t.app).post('/auth/old/logout').set('Authorization', `Bearer ${first.access_token}`)).status).to.equal(204);
    expect(legacy.calls).to.include('destroy');
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${first.access_token}`)).status).to.equal(401);

    const second = await login();
    const [session] = await t.auth.sessions.listForUser(user.id);
    expect(await t.auth.sessions.revoke(session.id)).to.include({ id: session.id });
    expect(legacy.calls).to.include('destroySession');
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${second.access_token}`)).status).to.equal(401);

    const third = await login();
    await t.auth.revokeAllTokens(user.id);
    expect(legacy.calls).to.include('destroyAllForUser');
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${third.access_token}`)).status).to.equal(401);
  });

  it('the deprecated Sessions.end / endAllForUser and strategy destroy… aliases still do what revoke… does', async () => {
    t = await buildApp({
      backends: [
        new AuthenticationBackend({
          name: 'db',
          transport: new BearerTransport({ tokenUrl: '/auth/db/login' }),
          strategy: new DatabaseStrategy(),
          refresh: {},
        }),
      ],
    });
    const user = await createUser(t.auth, { email: 'aliases@example.com' });
    const login = async () => (await request(t.app).post('/auth/db/login').type('form').send({ username: user.email, password: PASSWORD })).body;
    await login();
    await login();
    const [one] = await t.auth.sessions.listForUser(user.id);
    expect((await t.auth.sessions.end(one.id))?.id).to.equal(one.id);
    expect(await t.auth.sessions.listForUser(user.id)).to.have.length(1);
    expect(await t.auth.sessions.endAllForUser(user.id)).to.have.length(1);
    expect(await t.auth.sessions.listForUser(user.id)).to.deep.equal([]);

    const token = await t.auth.createToken(user, { backend: 'db' });
    const strategy = t.auth.getBackend('db').strategy as DatabaseStrategy;
    await strategy.destroy(token);
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(401);
  });
});

describe('onAfterLogin fails like every after-hook', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('500 USER_HOOK_FAILED naming the hook, logged once and published as internal.error', async () => {
    class Hooks extends UserManager<User> {
      onAfterLogin(): void {
        throw new Error('the login audit webhook is down');
      }
    }
    const events: AuthEvent[] = [];
    t = await buildApp({ userManager: Hooks, onEvent: (e) => void events.push(e) });
    await createUser(t.auth, { email: 'after-login@example.com' });
    const logged = await captureConsoleErrors(async () => {
      const res = await request(t.app).post('/auth/jwt/login').type('form').send({ username: 'after-login@example.com', password: PASSWORD });
      expect(res.status, JSON.stringify(res.body)).to.equal(500);
      expect(res.body).to.deep.equal({ code: 'USER_HOOK_FAILED', message: 'The change was saved, but the onAfterLogin hook failed.' });
    });
    expect(logged).to.have.length(1);
    expect(logged[0].map(String).join(' ')).to.match(/onAfterLogin hook failed/);
    const internal = events.filter((e): e is Extract<AuthEvent, { type: 'internal.error' }> => e.type === 'internal.error');
    expect(internal).to.have.length(1);
    expect(internal[0].where).to.equal('the onAfterLogin hook');
    expect((internal[0].error as Error & { cause?: Error }).cause?.message).to.equal('the login audit webhook is down');
  });
});

describe('challenges: each transport describes its own WWW-Authenticate', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  /** A transport of the app's own: a header token, challenged with its own scheme (its `scheme` is not `bearer`). */
  class ApiKeyTransport implements Transport {
    readonly scheme = 'apikey';
    readToken(exchange: HttpExchange): string | undefined {
      return exchange.header('x-api-key');
    }
    loginResponse(token: string): LoginResponseBody {
      return { api_key: token };
    }
    logoutResponse(): void {}
    challenge(params: ChallengeParams): string {
      return params.error ? `ApiKey error="${params.error}"` : 'ApiKey';
    }
  }

  it("a custom transport's challenge is the 401's header; its refused token says invalid_token", async () => {
    t = await buildApp({
      backends: [new AuthenticationBackend({ name: 'key', transport: new ApiKeyTransport(), strategy: new DatabaseStrategy() })],
    });
    const anonymous = await request(t.app).get('/items');
    expect(anonymous.status).to.equal(401);
    expect(anonymous.headers['www-authenticate']).to.equal('ApiKey');
    const refused = await request(t.app).get('/items').set('X-Api-Key', 'A'.repeat(43));
    expect(refused.status).to.equal(401);
    expect(refused.headers['www-authenticate']).to.equal('ApiKey error="invalid_token"');
  });

  it('a cookie-only app challenges with nothing', async () => {
    t = await buildApp({ backends: [new AuthenticationBackend({ name: 'cookie', transport: new CookieTransport(), strategy: new DatabaseStrategy() })] });
    const res = await request(t.app).get('/items');
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.equal(undefined);
  });
});
