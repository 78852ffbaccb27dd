import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { Authorized, CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  AccessToken,
  Auth,
  AuthConfigurationError,
  AuthenticationBackend,
  BearerTransport,
  CookieTransport,
  DatabaseStrategy,
  JwtStrategy,
  TypeOrmUserStore,
} from '../../src';
import { buildApp, createUser, makeDataSource, PASSWORD, SECRET, type TestApp, User } from '../support/app';
import { bearerToken, cookieFrom } from '../support/http';

class CountingJwtStrategy extends JwtStrategy {
  reads = 0;
  override read(token: string) {
    this.reads++;
    return super.read(token);
  }
}

class CountingDatabaseStrategy extends DatabaseStrategy {
  reads = 0;
  override read(token: string) {
    this.reads++;
    return super.read(token);
  }
}

@JsonController('/twice')
class TwiceController {
  @Get('/required')
  required(@CurrentUser({ required: true }) user: User) {
    return { email: user.email };
  }

  @Authorized()
  @Get('/')
  get(@CurrentUser() a: User, @CurrentUser() b: User) {
    return { same: a === b, email: a.email };
  }
}

describe('authorizationChecker / currentUserChecker', () => {
  let t: TestApp;
  let jwtStrategy: CountingJwtStrategy;
  let dbStrategy: CountingDatabaseStrategy;
  let userLoads = 0;

  before(async () => {
    const dataSource = makeDataSource();
    jwtStrategy = new CountingJwtStrategy({ secret: SECRET });
    dbStrategy = new CountingDatabaseStrategy();
    const store = new TypeOrmUserStore(dataSource, User);
    const findById = store.findById.bind(store);
    store.findById = (id: string) => {
      userLoads++;
      return findById(id);
    };
    t = await buildApp({
      dataSource,
      userStore: store,
      extraControllers: [TwiceController],
      backends: [
        new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/auth/db/login' }), strategy: dbStrategy }),
        new AuthenticationBackend({ name: 'jwt', transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }), strategy: jwtStrategy }),
      ],
    });
    await createUser(t.auth, { email: 'once@example.com' });
  });
  after(() => t.close());

  it('resolves the principal once per request for @Authorized + two @CurrentUser()', async () => {
    const token = await bearerToken(t.app, 'jwt', 'once@example.com');
    jwtStrategy.reads = dbStrategy.reads = userLoads = 0;
    const res = await request(t.app).get('/twice').set('Authorization', `Bearer ${token}`);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ same: true, email: 'once@example.com' });
    // The db backend comes first and refuses the JWT without a query (not 43 chars); the jwt backend reads once.
    expect(jwtStrategy.reads).to.equal(1);
    expect(dbStrategy.reads).to.equal(1);
    expect(userLoads).to.equal(1);
  });

  it("@CurrentUser({ required: true }) answers 401 UNAUTHORIZED in the library's shape without a user", async () => {
    const res = await request(t.app).get('/twice/required');
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ code: 'UNAUTHORIZED', message: 'Authentication required.' });
    const token = await bearerToken(t.app, 'jwt', 'once@example.com');
    expect((await request(t.app).get('/twice/required').set('Authorization', `Bearer ${token}`)).body).to.deep.equal({ email: 'once@example.com' });
  });

  it('tries backends in order: the first that yields an active user wins', async () => {
    const token = await bearerToken(t.app, 'db', 'once@example.com');
    jwtStrategy.reads = dbStrategy.reads = userLoads = 0;
    const res = await request(t.app).get('/twice').set('Authorization', `Bearer ${token}`);
    expect(res.status).to.equal(200);
    expect(dbStrategy.reads).to.equal(1);
    expect(jwtStrategy.reads).to.equal(0);
    expect(userLoads).to.equal(1);
  });

  it('@CurrentUser() without @Authorized yields null for anonymous requests and the user otherwise', async () => {
    expect((await request(t.app).get('/items/whoami')).body).to.deep.equal({ email: null });
    const token = await bearerToken(t.app, 'jwt', 'once@example.com');
    expect((await request(t.app).get('/items/whoami').set('Authorization', `Bearer ${token}`)).body).to.deep.equal({ email: 'once@example.com' });
  });

  it('a deactivated user is refused at once, and again accepted when reactivated', async () => {
    const user = (await t.auth.userManager.getByEmail('once@example.com'))!;
    const token = await bearerToken(t.app, 'jwt', 'once@example.com');
    await t.auth.userManager.update(user, { isActive: false }, { safe: false });
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(401);
    await t.auth.userManager.update(user, { isActive: true }, { safe: false });
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(200);
  });
});

describe('auth.createToken and auth.middleware()', () => {
  let t: TestApp;
  let user: User;

  before(async () => {
    t = await buildApp();
    user = await createUser(t.auth, { email: 'code@example.com', scopes: ['items:write'] });
  });
  after(() => t.close());

  it('makes tokens for every backend; defaults to the first backend and all allowed scopes', async () => {
    const token = await t.auth.createToken(user);
    expect(token.split('.')).to.have.length(3); // first backend: jwt
    expect((await request(t.app).get('/items/admin').set('Authorization', `Bearer ${token}`)).status).to.equal(200);
    const db = await t.auth.createToken(user, { backend: 'db', scopes: [] });
    expect(db).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${db}`)).status).to.equal(200);
    expect((await request(t.app).get('/items/admin').set('Authorization', `Bearer ${db}`)).status).to.equal(403);
  });

  it('grants the scopes code gives, as they are (code is trusted)', async () => {
    const token = await t.auth.createToken(user, { scopes: ['items:write', 'items:read'] });
    expect((await request(t.app).get('/items/both').set('Authorization', `Bearer ${token}`)).status).to.equal(200);
  });

  it('an explicitly short-lived token dies on time (JWT and database)', async () => {
    // 3 s: room for a loaded machine between issuing and the first use, which must still pass.
    const jwt = await t.auth.createToken(user, { lifetimeSeconds: 3 });
    const db = await t.auth.createToken(user, { backend: 'db', lifetimeSeconds: 3 });
    for (const token of [jwt, db]) expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(200);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    for (const token of [jwt, db]) expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(401);
    const strategy = t.auth.getBackend('db').strategy as DatabaseStrategy;
    expect(await strategy.purgeExpired()).to.be.greaterThan(0);
    expect(await t.dataSource.getRepository(AccessToken).count({ where: {} })).to.be.a('number');
  });

  it('sets ctx.state.user (null when anonymous) for Koa code outside controllers', async () => {
    const Koa = require('koa');
    const koa = new Koa();
    koa.use(t.auth.koaMiddleware());
    koa.use((ctx: any) => {
      ctx.body = { email: ctx.state.user?.email ?? null, scopes: ctx.state.auth?.scopes ?? null };
    });
    expect((await request(koa.callback()).get('/plain')).body).to.deep.equal({ email: null, scopes: null });
    const token = await t.auth.createToken(user, { scopes: ['items:write'] });
    expect((await request(koa.callback()).get('/plain').set('Authorization', `Bearer ${token}`)).body).to.deep.equal({
      email: 'code@example.com',
      scopes: ['items:write'],
    });
  });

  it('a request the middleware refuses (cookie CSRF) gets its status from Koa and Express themselves', async () => {
    const login = await request(t.app).post('/auth/cookie/login').type('form').send({ username: 'code@example.com', password: PASSWORD });
    const cookie = cookieFrom(login)!;
    const Koa = require('koa');
    const koa = new Koa();
    koa.silent = true;
    koa.use(t.auth.koaMiddleware());
    koa.use((ctx: any) => void (ctx.body = { ok: true }));
    const koaRes = await request(koa.callback()).post('/x').set('Cookie', cookie).set('Origin', 'https://evil.example');
    expect(koaRes.status).to.equal(403);
    const app = express();
    app.use(t.auth.middleware());
    app.post('/x', (_req, res) => void res.json({ ok: true }));
    app.use((error: any, _req: any, res: any, _next: any) => void res.status(error.status).json(error));
    const expressRes = await request(app).post('/x').set('Cookie', cookie).set('Origin', 'https://evil.example');
    expect(expressRes.status).to.equal(403);
    expect(expressRes.body.code).to.equal('CSRF_FAILED');
    expect(expressRes.body.message).to.match(
      /^Cross-site request from https:\/\/evil\.example refused: it is not this app's origin \(http:\/\/127\.0\.0\.1:\d+\)/,
    );
    expect(expressRes.body.message).to.include("CookieTransport({ trustedOrigins: ['https://evil.example'] })");
  });

  it('sets req.user (null when anonymous) for Express code outside controllers', async () => {
    const app = express();
    app.use(t.auth.middleware());
    app.get('/plain', (req: any, res) => res.json({ email: req.user?.email ?? null, scopes: req.auth?.scopes ?? null }));
    expect((await request(app).get('/plain')).body).to.deep.equal({ email: null, scopes: null });
    const token = await t.auth.createToken(user, { scopes: ['items:write'] });
    expect((await request(app).get('/plain').set('Authorization', `Bearer ${token}`)).body).to.deep.equal({
      email: 'code@example.com',
      scopes: ['items:write'],
    });
  });

  it('once a request is resolved, the checkers answer at once, and refuse by rejection, never by a synchronous throw', async () => {
    // What a checker gave: a plain value, or the settled outcome of its promise.
    const outcome = (value: unknown) => {
      const shown = (v: unknown) => (v && typeof v === 'object' ? (v as User).email : v);
      if (!(value instanceof Promise)) return Promise.resolve({ now: shown(value) });
      return value.then(
        (v) => ({ later: shown(v) }),
        (error) => ({ rejected: error.code }),
      );
    };
    const app = express();
    app.use(t.auth.middleware()); // resolves the request before the checkers run
    app.get('/probe', async (req, res) => {
      const action = { request: req, response: res };
      const calls = [t.auth.currentUserChecker(action), t.auth.authorizationChecker(action, []), t.auth.authorizationChecker(action, ['not-granted'])];
      res.json(await Promise.all(calls.map(outcome)));
    });
    const token = await t.auth.createToken(user, { scopes: ['items:write'] });
    expect((await request(app).get('/probe').set('Authorization', `Bearer ${token}`)).body).to.deep.equal([
      { now: 'code@example.com' },
      { now: true },
      { rejected: 'INSUFFICIENT_SCOPE' },
    ]);
    expect((await request(app).get('/probe')).body).to.deep.equal([{ now: null }, { rejected: 'UNAUTHORIZED' }, { rejected: 'UNAUTHORIZED' }]);
  });
});

describe('configuration errors are refused at configure time', () => {
  const base = () => ({ dataSource: makeDataSource(), userEntity: User, secret: SECRET });
  const jwtBackend = (name: string) =>
    new AuthenticationBackend({ name, transport: new BearerTransport({ tokenUrl: '/' }), strategy: new JwtStrategy({ secret: SECRET }) });

  it('refuses duplicate backend names, no backends, and a short secret', () => {
    expect(() => Auth.configure({ ...base(), backends: [jwtBackend('a'), jwtBackend('a')] })).to.throw(/two backends are named "a"/);
    expect(() => Auth.configure({ ...base(), backends: [] })).to.throw(/at least one backend/);
    expect(() => Auth.configure({ ...base(), secret: 'short', backends: [jwtBackend('a')] })).to.throw(
      /is 5 bytes: too weak to sign tokens; use at least 32 random bytes/,
    );
  });

  it('refuses a JWT lifetime that is not a positive number', () => {
    expect(() => new JwtStrategy({ secret: SECRET, lifetimeSeconds: 0 })).to.throw(/positive/);
  });

  it('validates every lifetime option the same way at configuration time (one hour by default)', () => {
    const bad = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '3600' as unknown as number];
    for (const value of bad) {
      expect(() => new DatabaseStrategy({ lifetimeSeconds: value }), `DatabaseStrategy ${String(value)}`).to.throw(
        AuthConfigurationError,
        /DatabaseStrategy: lifetimeSeconds must be a positive number of seconds, or null/,
      );
      expect(() => new CookieTransport({ cookieMaxAge: value }), `CookieTransport ${String(value)}`).to.throw(
        AuthConfigurationError,
        /CookieTransport: cookieMaxAge/,
      );
      expect(() => new JwtStrategy({ secret: SECRET, lifetimeSeconds: value }), `JwtStrategy ${String(value)}`).to.throw(AuthConfigurationError);
      expect(() => Auth.configure({ ...base(), resetTokenLifetimeSeconds: value, backends: [jwtBackend('a')] })).to.throw(
        AuthConfigurationError,
        /resetTokenLifetimeSeconds/,
      );
      expect(() => Auth.configure({ ...base(), verifyTokenLifetimeSeconds: value, backends: [jwtBackend('a')] })).to.throw(
        AuthConfigurationError,
        /verifyTokenLifetimeSeconds/,
      );
    }
    expect(() => new JwtStrategy({ secret: SECRET, lifetimeSeconds: null as unknown as number })).to.throw(
      AuthConfigurationError,
      /JwtStrategy: lifetimeSeconds must be a positive number of seconds\.$/,
    );
    expect(new DatabaseStrategy().lifetimeSeconds).to.equal(3600);
    expect(new DatabaseStrategy({ lifetimeSeconds: null }).lifetimeSeconds).to.equal(null);
    expect(new CookieTransport().cookieMaxAge).to.equal(3600);
    expect(new CookieTransport({ cookieMaxAge: null }).cookieMaxAge).to.equal(null);
    expect(new JwtStrategy({ secret: SECRET }).lifetimeSeconds).to.equal(3600);
  });

  it('says clearly when AccessToken is missing from the DataSource', async () => {
    const { DataSource } = await import('typeorm');
    const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [User], synchronize: true });
    const strategy = new DatabaseStrategy();
    Auth.configure({
      dataSource,
      userEntity: User,
      secret: SECRET,
      backends: [new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/' }), strategy })],
    });
    await dataSource.initialize();
    try {
      let error: unknown;
      await strategy.write({ userId: 'x', scopes: [], lifetimeSeconds: 10 }).catch((e) => (error = e));
      expect(String(error)).to.match(/AccessToken entity/);
    } finally {
      await dataSource.destroy();
    }
  });
});
