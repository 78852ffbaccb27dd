/**
 * Re-authentication: a password or email change needs the current password (or, for an account
 * without one, a recent sign-in), and `@Authorized({ maxAgeSeconds })` refuses a sign-in older
 * than the route allows (RFC 9470), whatever the strategy, with refresh keeping the sign-in time.
 */
import { expect } from 'chai';
import { randomUUID } from 'crypto';
import jwt from 'jsonwebtoken';
import { createClient, type RedisClientType } from 'redis';
import { Authorized, CurrentUser, Get, JsonController, Post } from 'routing-controllers';
import request from 'supertest';
import {
  AuthenticationBackend,
  AuthSession,
  BearerTransport,
  CookieTransport,
  DatabaseStrategy,
  JwtStrategy,
  RedisSessionStore,
  RedisStrategy,
  UsersController,
  type Strategy,
} from '../../src';
import { accessRequirementOf } from '../../src/security/access-requirement';
import { buildApp, createUser, PASSWORD, SECRET, type TestApp, User } from '../support/app';
import { bearerToken, cookieFrom, login } from '../support/http';
import { loginPair, refreshWith } from '../support/sessions';

const MAX_AGE = 60;
const NEW_PASSWORD = 'an entirely fresh passphrase 77';

@JsonController('/sensitive')
class SensitiveController {
  @Authorized({ maxAgeSeconds: MAX_AGE })
  @Get('/recent')
  recent(@CurrentUser() user: User) {
    return { email: user.email };
  }

  @Authorized({ scopes: ['billing:write'], maxAgeSeconds: MAX_AGE })
  @Post('/billing')
  billing() {
    return { ok: true };
  }

  @Authorized({ scopes: ['items:write'] })
  @Get('/scoped')
  scoped() {
    return { ok: true };
  }
}

@JsonController('/users')
class Users extends UsersController<User> {}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe('re-authentication', function () {
  this.timeout(30_000);
  let t: TestApp;
  let redis: RedisClientType;
  const redisPrefix = `rcauth-reauth-test:${randomUUID()}:`;
  const sessionPrefix = `rcauth-reauth-sessions:${randomUUID()}:`;

  before(async () => {
    redis = createClient({ url: process.env.TEST_REDIS_URL });
    redis.on('error', () => undefined);
    await redis.connect();
    const bearer = (name: string) => new BearerTransport({ tokenUrl: `/auth/${name}/login` });
    const redisStrategy = (): Strategy => new RedisStrategy({ redis, lifetimeSeconds: 3600, keyPrefix: redisPrefix });
    t = await buildApp({
      extraControllers: [SensitiveController, Users],
      backends: [
        new AuthenticationBackend({ name: 'jwt', transport: bearer('jwt'), strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }) }),
        new AuthenticationBackend({ name: 'db', transport: bearer('db'), strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }) }),
        new AuthenticationBackend({ name: 'redis', transport: bearer('redis'), strategy: redisStrategy() }),
        new AuthenticationBackend({
          name: 'jwt-r',
          transport: bearer('jwt-r'),
          strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }),
          refresh: {},
        }),
        new AuthenticationBackend({ name: 'db-r', transport: bearer('db-r'), strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }), refresh: {} }),
        new AuthenticationBackend({
          name: 'redis-r',
          transport: bearer('redis-r'),
          strategy: redisStrategy(),
          refresh: { store: new RedisSessionStore({ redis, keyPrefix: sessionPrefix }) },
        }),
        new AuthenticationBackend({ name: 'cookie', transport: new CookieTransport({ cookieMaxAge: 3600 }), strategy: new DatabaseStrategy() }),
      ],
    });
  });
  after(async () => {
    await t?.close();
    redis?.destroy();
  });

  let email: string;
  let user: User;
  beforeEach(async () => {
    email = `r-${randomUUID()}@example.com`;
    user = await createUser(t.auth, { email, scopes: ['items:write', 'billing:write'] });
  });

  const as = (token: string) => ({
    get: (path: string) => request(t.app).get(path).set('Authorization', `Bearer ${token}`),
    post: (path: string) => request(t.app).post(path).set('Authorization', `Bearer ${token}`).send({}),
    patch: (path: string, body: object) => request(t.app).patch(path).set('Authorization', `Bearer ${token}`).send(body),
  });
  const stored = () => t.dataSource.getRepository(User).findOneByOrFail({ id: user.id });

  function expectReauthentication(res: request.Response, maxAge = MAX_AGE): void {
    expect(res.status, JSON.stringify(res.body)).to.equal(401);
    expect(res.body).to.deep.include({ code: 'REAUTHENTICATION_REQUIRED' });
    expect(res.body.details).to.deep.equal({ maxAgeSeconds: maxAge });
    const challenge = String(res.headers['www-authenticate']);
    expect(challenge).to.match(/^Bearer error="insufficient_user_authentication"/);
    expect(challenge).to.contain(`max_age=${maxAge}`);
  }

  describe('PATCH /users/me: a password or email change needs the current password', () => {
    it('refuses a password change without currentPassword: 400 CURRENT_PASSWORD_INVALID, nothing changed', async () => {
      const token = await bearerToken(t.app, 'db', email);
      const before = await stored();
      const res = await as(token).patch('/users/me', { password: NEW_PASSWORD });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('CURRENT_PASSWORD_INVALID');
      expect((await stored()).hashedPassword).to.equal(before.hashedPassword);
      // The token was not revoked either: nothing happened.
      expect((await as(token).get('/users/me')).status).to.equal(200);
      expect((await login(t.app, 'jwt', email, NEW_PASSWORD)).status).to.equal(400);
    });

    it('refuses a wrong current password, for the password and for the email', async () => {
      const token = await bearerToken(t.app, 'jwt', email);
      for (const body of [
        { password: NEW_PASSWORD, currentPassword: 'not the password at all' },
        { email: `moved-${randomUUID()}@example.com`, currentPassword: 'not the password at all' },
        { email: `moved-${randomUUID()}@example.com` },
        { email: `moved-${randomUUID()}@example.com`, currentPassword: '' },
      ]) {
        const res = await as(token).patch('/users/me', body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.code).to.equal('CURRENT_PASSWORD_INVALID');
      }
      expect(await stored()).to.include({ email });
      expect((await login(t.app, 'jwt', email)).status).to.equal(200);
    });

    it('accepts the change with the right current password', async () => {
      const token = await bearerToken(t.app, 'jwt', email);
      const moved = `moved-${randomUUID()}@example.com`;
      const res = await as(token).patch('/users/me', { email: moved, currentPassword: PASSWORD });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.email).to.equal(moved);
    });

    it('needs no password for fields that do not hand the account over (a re-cased email, own columns)', async () => {
      const token = await bearerToken(t.app, 'jwt', email);
      expect((await as(token).patch('/users/me', { email: email.toUpperCase() })).status).to.equal(200);
      expect((await as(token).patch('/users/me', { displayName: 'Kept' })).status).to.equal(200);
    });

    it('refuses a currentPassword that is not a string with 400 VALIDATION_ERROR', async () => {
      const token = await bearerToken(t.app, 'jwt', email);
      const res = await as(token).patch('/users/me', { password: NEW_PASSWORD, currentPassword: 12345678 });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_ERROR');
    });

    it('accepts a recent sign-in instead for an account without a password (social sign-in), and refuses an old one', async () => {
      const social = await t.auth.userManager.createWithoutPassword({ email: `social-${randomUUID()}@example.com` });
      const fresh = await t.auth.createToken(social, { backend: 'db', authTime: new Date(), amr: ['fed'] });
      const moved = `social-moved-${randomUUID()}@example.com`;
      const ok = await as(fresh).patch('/users/me', { email: moved });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      expect(ok.body.email).to.equal(moved);

      const old = await t.auth.createToken(social, { backend: 'db', authTime: minutesAgo(6), amr: ['fed'] });
      expectReauthentication(await as(old).patch('/users/me', { email: `again-${randomUUID()}@example.com` }), 300);
      const none = await t.auth.createToken(social, { backend: 'db' });
      expectReauthentication(await as(none).patch('/users/me', { password: NEW_PASSWORD }), 300);
      // A password sent along proves nothing for an account that has none.
      expectReauthentication(await as(old).patch('/users/me', { password: NEW_PASSWORD, currentPassword: 'anything at all' }), 300);
      expect((await t.dataSource.getRepository(User).findOneByOrFail({ id: social.id })).email).to.equal(moved);
    });
  });

  describe('PATCH /users/me attempts count in the login budget', () => {
    let limited: TestApp;
    before(async () => {
      limited = await buildApp({
        extraControllers: [Users],
        rateLimits: { limits: { login: { perAccount: { points: 3, durationSeconds: 60 }, perIp: { points: 1000, durationSeconds: 60 } } } },
      });
    });
    after(() => limited?.close());

    it('answers 429 with Retry-After once wrong current passwords spend the account budget, and login shares it', async () => {
      const victim = `v-${randomUUID()}@example.com`;
      await createUser(limited.auth, { email: victim });
      const token = await bearerToken(limited.app, 'jwt', victim);
      const attempt = () =>
        request(limited.app).patch('/users/me').set('Authorization', `Bearer ${token}`).send({ password: NEW_PASSWORD, currentPassword: 'guess number n' });
      for (let i = 0; i < 3; i++) expect((await attempt()).body.code).to.equal('CURRENT_PASSWORD_INVALID');
      const refused = await attempt();
      expect(refused.status).to.equal(429);
      expect(refused.body.code).to.equal('TOO_MANY_REQUESTS');
      expect(Number(refused.headers['retry-after'])).to.be.greaterThan(0);
      // The right password is refused too until the budget comes back: guessing cannot go on.
      const right = await request(limited.app)
        .patch('/users/me')
        .set('Authorization', `Bearer ${token}`)
        .send({ password: NEW_PASSWORD, currentPassword: PASSWORD });
      expect(right.status).to.equal(429);
      expect((await login(limited.app, 'jwt', victim)).status).to.equal(429);
    });
  });

  describe('@Authorized({ maxAgeSeconds }) (step-up)', () => {
    for (const backend of ['jwt', 'db', 'redis']) {
      it(`lets a fresh sign-in through and refuses an old one with 401 REAUTHENTICATION_REQUIRED (${backend})`, async () => {
        const fresh = await bearerToken(t.app, backend, email);
        const ok = await as(fresh).get('/sensitive/recent');
        expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
        expect(ok.body.email).to.equal(email);

        const old = await t.auth.createToken(user, { backend, authTime: minutesAgo(2), amr: ['pwd'] });
        expectReauthentication(await as(old).get('/sensitive/recent'));
        // The same token still passes routes without a step-up: it is valid, only not recent.
        expect((await as(old).get('/items')).status).to.equal(200);
        // A token made in code without a sign-in time never passes a step-up.
        expectReauthentication(await as(await t.auth.createToken(user, { backend })).get('/sensitive/recent'));
      });
    }

    it('checks scopes first (403 INSUFFICIENT_SCOPE), then the age, in the object form', async () => {
      const narrow = await bearerToken(t.app, 'jwt', email, PASSWORD, 'items:write');
      const noScope = await as(narrow).post('/sensitive/billing');
      expect(noScope.status).to.equal(403);
      expect(noScope.body.code).to.equal('INSUFFICIENT_SCOPE');
      expect((await as(await bearerToken(t.app, 'jwt', email)).post('/sensitive/billing')).status).to.equal(200);
      const old = await t.auth.createToken(user, { backend: 'jwt', authTime: minutesAgo(5) });
      expectReauthentication(await as(old).post('/sensitive/billing'));
      // `{ scopes }` alone is the array form's twin.
      expect((await as(narrow).get('/sensitive/scoped')).status).to.equal(200);
      const readOnly = await bearerToken(t.app, 'jwt', email, PASSWORD, 'billing:write');
      expect((await as(readOnly).get('/sensitive/scoped')).status).to.equal(403);
    });

    it('writes the sign-in into the JWT as auth_time and amr', async () => {
      const before = Math.floor(Date.now() / 1000);
      const token = await bearerToken(t.app, 'jwt', email);
      const claims = jwt.decode(token) as Record<string, unknown>;
      expect(claims.auth_time).to.be.within(before, Math.ceil(Date.now() / 1000));
      expect(claims.amr).to.deep.equal(['pwd']);
    });

    it('refuses a JWT whose auth_time or amr has the wrong type', async () => {
      const forge = (extra: object) =>
        jwt.sign({ sub: user.id, aud: 'routing-controllers-auth:auth', scope: '', ...extra }, SECRET, {
          algorithm: 'HS256',
          expiresIn: 600,
          header: { alg: 'HS256', typ: 'at+jwt' },
        });
      expect((await as(forge({ auth_time: Math.floor(Date.now() / 1000) })).get('/sensitive/recent')).status).to.equal(200);
      for (const extra of [{ auth_time: 'now' }, { amr: 'pwd' }, { amr: [1] }]) {
        const res = await as(forge(extra)).get('/items');
        expect(res.status, JSON.stringify(extra)).to.equal(401);
        expect(res.headers['www-authenticate']).to.contain('invalid_token');
      }
    });

    it('answers 401 REAUTHENTICATION_REQUIRED to a cookie session too', async () => {
      const res = await login(t.app, 'cookie', email);
      const cookie = cookieFrom(res)!;
      expect((await request(t.app).get('/sensitive/recent').set('Cookie', cookie)).status).to.equal(200);
      const old = await t.auth.createToken(user, { backend: 'cookie', authTime: minutesAgo(3) });
      const refused = await request(t.app).get('/sensitive/recent').set('Cookie', `rcauth=${old}`);
      expect(refused.status).to.equal(401);
      expect(refused.body.code).to.equal('REAUTHENTICATION_REQUIRED');
    });
  });

  describe('refresh keeps the sign-in time, never renews it', () => {
    /** Moves the session's sign-in into the past, where its store keeps it. */
    async function ageSession(backend: string, sessionId: string, minutes: number): Promise<void> {
      const at = minutesAgo(minutes).getTime();
      if (backend === 'redis-r') {
        await redis.hSet(`${sessionPrefix}{${sessionId}}`, 'authTime', String(at));
        return;
      }
      await t.dataSource.getRepository(AuthSession).update({ id: sessionId }, { authTime: new Date(at) });
    }

    for (const backend of ['jwt-r', 'db-r', 'redis-r']) {
      it(`an access token from a refresh carries the login's sign-in (${backend})`, async () => {
        const pair = await loginPair(t.app, backend, email);
        expect((await as(pair.access).get('/sensitive/recent')).status).to.equal(200);
        const [session] = await t.auth.sessions.listForUser(user.id);
        expect(session.amr).to.deep.equal(['pwd']);
        expect(session.authTime!.getTime()).to.be.closeTo(Date.now(), 10_000);

        // Refreshing right away keeps the step-up passing: the sign-in is still recent.
        const first = await refreshWith(t.app, backend, pair.refresh);
        expect(first.status, JSON.stringify(first.body)).to.equal(200);
        expect((await as(first.body.access_token).get('/sensitive/recent')).status).to.equal(200);

        // Once the sign-in is old, a refresh hands out a token that is valid but not recent.
        await ageSession(backend, session.id, 10);
        const second = await refreshWith(t.app, backend, first.body.refresh_token);
        expect(second.status).to.equal(200);
        expect((await as(second.body.access_token).get('/items')).status).to.equal(200);
        expectReauthentication(await as(second.body.access_token).get('/sensitive/recent'));
        if (backend === 'jwt-r') {
          const claims = jwt.decode(second.body.access_token) as Record<string, number>;
          expect(claims.auth_time).to.be.below(Math.floor(Date.now() / 1000) - 500);
        }
        // A new login is a new sign-in.
        expect((await as((await loginPair(t.app, backend, email)).access).get('/sensitive/recent')).status).to.equal(200);
      });
    }
  });

  describe('the requirement', () => {
    it('combines controller and method parts and refuses what it does not understand', () => {
      expect(accessRequirementOf(['a', { scopes: ['b'], maxAgeSeconds: 600 }, { maxAgeSeconds: 60 }])).to.deep.equal({
        scopes: ['a', 'b'],
        maxAgeSeconds: 60,
      });
      expect(accessRequirementOf([])).to.deep.equal({ scopes: [], maxAgeSeconds: undefined });
      expect(() => accessRequirementOf([{ maxAge: 60 }])).to.throw(/unknown option\(s\) maxAge/);
      expect(() => accessRequirementOf([{ maxAgeSeconds: -1 }])).to.throw(/maxAgeSeconds/);
      expect(() => accessRequirementOf([{ scopes: 'a' }])).to.throw(/scopes/);
      expect(() => accessRequirementOf([42])).to.throw(/neither a scope/);
    });

    it('shows the step-up on the route in the OpenAPI document', () => {
      const document = t.auth.openApi() as any;
      const operation = document.paths['/sensitive/recent'].get;
      expect(operation['x-max-age-seconds']).to.equal(MAX_AGE);
      expect(operation.description).to.contain(`within the last ${MAX_AGE} s`);
      expect(operation.responses['401'].content['application/json'].schema.allOf[1].properties.code.enum).to.include('REAUTHENTICATION_REQUIRED');
      const billing = document.paths['/sensitive/billing'].post;
      expect(billing.security.some((s: Record<string, string[]>) => Object.values(s).some((scopes) => scopes.includes('billing:write')))).to.equal(true);
      const patchMe = document.paths['/users/me'].patch;
      expect(patchMe.responses['400'].content['application/json'].schema.allOf[1].properties.code.enum).to.include('CURRENT_PASSWORD_INVALID');
    });
  });
});
