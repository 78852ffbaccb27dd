/**
 * Sessions through the cookie transport (the refresh cookie, its CSRF rule) and with JWT access
 * tokens (`sid` claim; revocable with a revocation store, living until `exp` without one).
 */
import { expect } from 'chai';
import { randomUUID } from 'crypto';
import jwt from 'jsonwebtoken';
import { createClient, type RedisClientType } from 'redis';
import { JsonController, Post, Req, Res } from 'routing-controllers';
import request from 'supertest';
import {
  AuthenticationBackend,
  BearerTransport,
  CookieTransport,
  DatabaseRevocationStore,
  DatabaseStrategy,
  Auth,
  exchangeFromParams,
  JwtStrategy,
  logUserIn,
  RedisRevocationStore,
  SessionsController,
  UsersController,
} from '../../src';
import { buildApp, createUser, PASSWORD, SECRET, type TestApp, User } from '../support/app';
import { cookieFrom } from '../support/http';
import { accessStatus, loginPair, refreshWith } from '../support/sessions';

function setCookieLine(res: request.Response, name: string): string | undefined {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return header?.find((c) => c.startsWith(`${name}=`));
}

describe('sessions through the cookie transport', () => {
  let t: TestApp;
  let email: string;

  before(async () => {
    @JsonController('/auth/sessions')
    class Sessions extends SessionsController<User> {}
    /** A login from a route of the app's own (as social login does), answering like `POST /login`. */
    @JsonController('/custom')
    class MagicLink {
      @Post('/magic')
      async magic(@Req() req: any, @Res() res: any) {
        const auth = Auth.current<User>();
        const user = (await auth.userManager.getByEmail(email))!;
        return logUserIn(auth, auth.getBackend('c'), user, exchangeFromParams(req, res), ['items:read'], { refreshCookiePath: '/auth/c/refresh' });
      }
    }
    t = await buildApp({
      extraControllers: [Sessions, MagicLink],
      backends: [
        new AuthenticationBackend({
          name: 'c',
          transport: new CookieTransport({ cookieMaxAge: 3600 }),
          strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
          refresh: { lifetimeSeconds: 7 * 24 * 3600 },
        }),
      ],
    });
  });
  after(() => t.close());

  beforeEach(async () => {
    email = `c-${randomUUID()}@example.com`;
    await createUser(t.auth, { email });
  });

  async function cookieLogin() {
    const res = await request(t.app).post('/auth/c/login').type('form').send({ username: email, password: PASSWORD });
    expect(res.status).to.equal(204);
    return { access: cookieFrom(res, 'rcauth')!, refresh: cookieFrom(res, 'rcauth_refresh')!, res };
  }

  it('login sets the access cookie and an HttpOnly, Secure, SameSite=Strict refresh cookie scoped to the refresh route', async () => {
    const { res, refresh } = await cookieLogin();
    const line = setCookieLine(res, 'rcauth_refresh')!;
    expect(line).to.match(/; Path=\/auth\/c\/refresh(;|$)/);
    expect(line).to.contain('HttpOnly').and.contain('Secure').and.contain('SameSite=Strict');
    const maxAge = Number(/Max-Age=(\d+)/.exec(line)![1]);
    expect(maxAge)
      .to.be.greaterThan(7 * 24 * 3600 - 10)
      .and.at.most(7 * 24 * 3600);
    expect(refresh).to.match(/^rcauth_refresh=[A-Za-z0-9_-]{43}$/);
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('POST /refresh with the refresh cookie answers 204 and new cookies; the old cookie is used up', async () => {
    const login = await cookieLogin();
    // A browser's same-origin request: Origin matches the Host it was sent to.
    const fresh = await request(t.app).post('/auth/c/refresh').set('Cookie', login.refresh).set('Host', 'app.example').set('Origin', 'http://app.example');
    expect(fresh.status, JSON.stringify(fresh.body)).to.equal(204);
    const access = cookieFrom(fresh, 'rcauth')!;
    const refresh = cookieFrom(fresh, 'rcauth_refresh')!;
    expect(refresh).to.not.equal(login.refresh);
    expect((await request(t.app).get('/items').set('Cookie', access)).status).to.equal(200);
    // Used up: presenting it again is reuse, which ends the session and its new cookies with it.
    expect((await request(t.app).post('/auth/c/refresh').set('Cookie', login.refresh)).status).to.equal(400);
    expect((await request(t.app).get('/items').set('Cookie', access)).status).to.equal(401);
    expect((await request(t.app).post('/auth/c/refresh').set('Cookie', refresh)).status).to.equal(400);
  });

  it('refuses a cross-site refresh (CSRF) without using the cookie up', async () => {
    const login = await cookieLogin();
    for (const headers of [{ Origin: 'https://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }, { Referer: 'https://evil.example/page' }]) {
      const res = await request(t.app).post('/auth/c/refresh').set('Cookie', login.refresh).set(headers);
      expect(res.status, JSON.stringify(headers)).to.equal(403);
      expect(res.body.code).to.equal('CSRF_FAILED');
    }
    expect((await request(t.app).post('/auth/c/refresh').set('Cookie', login.refresh)).status).to.equal(204);
  });

  it('logout ends the session and clears both cookies; the refresh cookie no longer works', async () => {
    const login = await cookieLogin();
    const list = await request(t.app).get('/auth/sessions').set('Cookie', login.access);
    expect(list.body.map((s: any) => s.current)).to.deep.equal([true]);
    const out = await request(t.app).post('/auth/c/logout').set('Cookie', login.access);
    expect(out.status).to.equal(204);
    expect(setCookieLine(out, 'rcauth')).to.contain('Max-Age=0');
    const cleared = setCookieLine(out, 'rcauth_refresh')!;
    expect(cleared)
      .to.contain('Max-Age=0')
      .and.match(/Path=\/auth\/c\/refresh/);
    expect((await request(t.app).post('/auth/c/refresh').set('Cookie', login.refresh)).status).to.equal(400);
    expect((await request(t.app).get('/items').set('Cookie', login.access)).status).to.equal(401);
  });

  it('logUserIn answers a login from another route exactly like POST /login, with the refresh cookie where it is told', async () => {
    const res = await request(t.app).post('/custom/magic');
    expect(res.status).to.equal(204);
    expect(setCookieLine(res, 'rcauth_refresh')).to.match(/Path=\/auth\/c\/refresh(;|$)/);
    const access = cookieFrom(res, 'rcauth')!;
    expect((await request(t.app).get('/items').set('Cookie', access)).status).to.equal(200);
    const [session] = await t.auth.sessions.listForUser((await t.auth.userManager.getByEmail(email))!.id);
    expect(session.scopes).to.deep.equal(['items:read']);
    expect((await request(t.app).post('/auth/c/refresh').set('Cookie', cookieFrom(res, 'rcauth_refresh')!)).status).to.equal(204);
  });

  it('a refresh token in the body works for the cookie backend too; a bearer access token does not', async () => {
    const login = await cookieLogin();
    const token = login.refresh.split('=')[1];
    const accessToken = login.access.split('=')[1];
    expect((await refreshWith(t.app, 'c', accessToken)).status).to.equal(400);
    expect((await refreshWith(t.app, 'c', token)).status).to.equal(204);
  });
});

for (const revocationKind of ['database', 'redis', 'none'] as const) {
  describe(`sessions with JWT access tokens (${revocationKind === 'none' ? 'no revocation store' : `${revocationKind} revocation store`})`, () => {
    let t: TestApp;
    let redis: RedisClientType | undefined;
    let email: string;

    before(async () => {
      if (revocationKind === 'redis') {
        redis = createClient({ url: process.env.TEST_REDIS_URL });
        redis.on('error', () => undefined);
        await redis.connect();
      }
      const revocation =
        revocationKind === 'database'
          ? new DatabaseRevocationStore()
          : revocationKind === 'redis'
            ? new RedisRevocationStore({ redis: redis!, keyPrefix: `rcauth-sessions-revoked:${randomUUID()}:` })
            : undefined;
      @JsonController('/auth/sessions')
      class Sessions extends SessionsController<User> {}
      @JsonController('/users')
      class Users extends UsersController<User> {}
      t = await buildApp({
        extraControllers: [Sessions, Users],
        backends: [
          new AuthenticationBackend({
            name: 'j',
            transport: new BearerTransport({ tokenUrl: '/auth/j/login' }),
            strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 300, revocation }),
            refresh: {},
          }),
        ],
      });
    });
    after(async () => {
      await t.close();
      redis?.destroy();
    });

    beforeEach(async () => {
      email = `j-${randomUUID()}@example.com`;
      await createUser(t.auth, { email });
    });

    it('the access token carries its session as the sid claim; expires_in is the JWT lifetime', async () => {
      const login = await loginPair(t.app, 'j', email);
      expect(login.body.expires_in).to.equal(300);
      const claims = jwt.decode(login.access) as Record<string, unknown>;
      const [session] = await t.auth.sessions.listForUser(claims.sub as string);
      expect(claims.sid).to.equal(session.id);
    });

    it('refresh rotates; reuse ends the session', async () => {
      const login = await loginPair(t.app, 'j', email);
      const child = await refreshWith(t.app, 'j', login.refresh);
      expect(child.status).to.equal(200);
      expect((await refreshWith(t.app, 'j', login.refresh)).status).to.equal(400);
      expect((await refreshWith(t.app, 'j', child.body.refresh_token)).status).to.equal(400);
      // With a revocation store the session's access tokens die with it; a plain JWT lives until exp.
      expect(await accessStatus(t.app, child.body.access_token)).to.equal(revocationKind === 'none' ? 200 : 401);
    });

    it('logout and DELETE /auth/sessions/:id end the session; access tokens are refused where the store can', async () => {
      const a = await loginPair(t.app, 'j', email);
      const b = await loginPair(t.app, 'j', email);
      expect((await request(t.app).post('/auth/j/logout').set('Authorization', `Bearer ${a.access}`)).status).to.equal(204);
      expect((await refreshWith(t.app, 'j', a.refresh)).status).to.equal(400);
      expect(await accessStatus(t.app, a.access)).to.equal(revocationKind === 'none' ? 200 : 401);

      const c = await loginPair(t.app, 'j', email);
      const list = await request(t.app).get('/auth/sessions').set('Authorization', `Bearer ${c.access}`);
      const other = list.body.find((s: any) => !s.current);
      expect((await request(t.app).delete(`/auth/sessions/${other.id}`).set('Authorization', `Bearer ${c.access}`)).status).to.equal(204);
      expect((await refreshWith(t.app, 'j', b.refresh)).status).to.equal(400);
      expect(await accessStatus(t.app, b.access)).to.equal(revocationKind === 'none' ? 200 : 401);
      expect(await accessStatus(t.app, c.access)).to.equal(200);
    });

    it('a password change through PATCH /me keeps the current session (its refresh token renews access)', async () => {
      const current = await loginPair(t.app, 'j', email);
      const other = await loginPair(t.app, 'j', email);
      const res = await request(t.app)
        .patch('/users/me')
        .set('Authorization', `Bearer ${current.access}`)
        .send({ password: 'a changed passphrase 2026', currentPassword: PASSWORD });
      expect(res.status).to.equal(200);
      expect((await refreshWith(t.app, 'j', other.refresh)).status).to.equal(400);
      const renewed = await refreshWith(t.app, 'j', current.refresh);
      expect(renewed.status).to.equal(200);
      expect(await accessStatus(t.app, renewed.body.access_token)).to.equal(200);
    });
  });
}
