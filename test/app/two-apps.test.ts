/**
 * Two configured apps in one process (two routing-controllers apps, two `Auth`s with their own
 * backends, secrets and data) stay apart: each refuses the other's tokens, a bug met while serving
 * one is reported through its own `internal.error` events only, and each counts its own database
 * outages. The second app configured is the default (typedi's) one, so the first is the app a
 * process-wide reporter would have missed.
 */
import { expect } from 'chai';
import request from 'supertest';
import { JsonController } from 'routing-controllers';
import {
  AuthenticationBackend,
  BearerTransport,
  DatabaseStrategy,
  JwtStrategy,
  RegisterController,
  SessionsController,
  TypeOrmSessionStore,
  UserManager,
  type Auth,
  type AuthEvent,
  type SessionInfo,
} from '../../src';
import { captureConsoleErrors } from '../support/console';
import { buildApp, createUser, PASSWORD, type TestApp, User } from '../support/app';

const SECRET_A = 'app-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const SECRET_B = 'app-b-secret-9876543210-zyxwvutsrqponmlkjihgfedcba';
const SECRET_A_DOWN = 'app-a-down-secret-0123456789-abcdefghijklmnopqrst';

/** App A's hooks: registering a `hook@` address fails after the user was saved. */
class FailingRegisterHooks extends UserManager<User> {
  onAfterRegister(user: User): void {
    if (user.email.startsWith('hook@')) throw new Error('the welcome mail of app A bounced');
  }
}

/** App A's sessions: listing them is a bug (a store that throws something that is no outage). */
class BuggyListingSessionStore extends TypeOrmSessionStore {
  async listForUser(): Promise<SessionInfo[]> {
    throw new TypeError('bug in app A session listing');
  }
}

/** A JWT backend whose revocation store is unreachable, so every token of it answers 503. */
function unreachableRevocationBackend(): AuthenticationBackend {
  const unreachable = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
  return new AuthenticationBackend({
    name: 'down',
    transport: new BearerTransport({ tokenUrl: '/auth/down/login' }),
    strategy: new JwtStrategy({
      secret: SECRET_A_DOWN,
      revocation: { isRevoked: unreachable, revoke: unreachable, revokeAllIssuedBefore: unreachable },
    }),
  });
}

/** The library's register and sessions routes, bound to this app's `Auth` rather than the default one. */
function boundLibraryControllers(auth: Auth<User>): Function[] {
  @JsonController('/auth')
  class BoundRegister extends RegisterController<User> {
    constructor() {
      super();
      this.boundAuth = auth;
    }
  }
  @JsonController('/auth/sessions')
  class BoundSessions extends SessionsController<User> {
    constructor() {
      super();
      this.boundAuth = auth;
    }
  }
  return [BoundRegister, BoundSessions];
}

describe('two configured apps in one process', () => {
  let a: TestApp;
  let b: TestApp;
  let eventsA: AuthEvent[];
  let eventsB: AuthEvent[];
  const internal = (events: AuthEvent[]) => events.filter((e): e is Extract<AuthEvent, { type: 'internal.error' }> => e.type === 'internal.error');

  beforeEach(async () => {
    eventsA = [];
    eventsB = [];
    a = await buildApp({
      secret: SECRET_A,
      userManager: FailingRegisterHooks,
      backends: [
        new AuthenticationBackend({
          name: 'jwt',
          transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
          strategy: new JwtStrategy({ secret: SECRET_A }),
          refresh: { store: new BuggyListingSessionStore() },
        }),
        unreachableRevocationBackend(),
      ],
      onEvent: (e) => void eventsA.push(e),
      extraControllers: (auth) => boundLibraryControllers(auth),
    });
    b = await buildApp({
      secret: SECRET_B,
      backends: [
        new AuthenticationBackend({
          name: 'jwt',
          transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
          strategy: new JwtStrategy({ secret: SECRET_B }),
        }),
        new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/auth/db/login' }), strategy: new DatabaseStrategy() }),
      ],
      onEvent: (e) => void eventsB.push(e),
      extraControllers: (auth) => boundLibraryControllers(auth),
    });
  });
  afterEach(async () => {
    await a?.close();
    await b?.close();
  });

  it('have separate contexts: own backends, data and failure records, frozen', () => {
    expect(a.auth.context).not.to.equal(b.auth.context);
    expect(Object.isFrozen(a.auth.context)).to.equal(true);
    expect(Object.isFrozen(a.auth.context.users)).to.equal(true);
    expect(Object.isFrozen(a.auth.context.backends.list)).to.equal(true);
    expect(a.auth.context.backends.list.map((x) => x.name)).to.deep.equal(['jwt', 'down']);
    expect(b.auth.context.backends.list.map((x) => x.name)).to.deep.equal(['jwt', 'db']);
    expect(a.auth.context.failures).not.to.equal(b.auth.context.failures);
    expect(a.auth.context.dataSource).not.to.equal(b.auth.context.dataSource);
  });

  it("each app refuses the other's tokens, even for a user of the same email", async () => {
    await createUser(a.auth, { email: 'same@example.com' });
    await createUser(b.auth, { email: 'same@example.com' });
    const loginA = await request(a.app).post('/auth/jwt/login').type('form').send({ username: 'same@example.com', password: PASSWORD });
    const jwtB = await request(b.app).post('/auth/jwt/login').type('form').send({ username: 'same@example.com', password: PASSWORD });
    const dbB = await request(b.app).post('/auth/db/login').type('form').send({ username: 'same@example.com', password: PASSWORD });
    for (const res of [loginA, jwtB, dbB]) expect(res.status, JSON.stringify(res.body)).to.equal(200);

    expect((await request(a.app).get('/items').set('Authorization', `Bearer ${loginA.body.access_token}`)).status).to.equal(200);
    expect((await request(b.app).get('/items').set('Authorization', `Bearer ${jwtB.body.access_token}`)).status).to.equal(200);
    expect((await request(b.app).get('/items').set('Authorization', `Bearer ${dbB.body.access_token}`)).status).to.equal(200);

    const aTokenAtB = await request(b.app).get('/items').set('Authorization', `Bearer ${loginA.body.access_token}`);
    expect(aTokenAtB.status).to.equal(401);
    expect(aTokenAtB.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
    for (const token of [jwtB.body.access_token, dbB.body.access_token]) {
      const res = await request(a.app).get('/items').set('Authorization', `Bearer ${token}`);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
    }
    // Each app's refusals are in its own audit events.
    expect(eventsB.filter((e) => e.type === 'token.rejected').map((e) => (e as { backend: string }).backend)).to.have.members(['jwt', 'db']);
    expect(new Set(eventsA.filter((e) => e.type === 'token.rejected').map((e) => (e as { backend: string }).backend))).to.deep.equal(new Set(['jwt', 'down']));
  });

  it("a failing hook of app A is reported through A's internal.error only; B registers unharmed", async () => {
    const logged = await captureConsoleErrors(async () => {
      const res = await request(a.app).post('/auth/register').send({ email: 'hook@example.com', password: PASSWORD });
      expect(res.status, JSON.stringify(res.body)).to.equal(500);
      expect(res.body.code).to.equal('USER_HOOK_FAILED');
    });
    expect(logged.map(String).join('\n')).to.match(/onAfterRegister/);
    expect(internal(eventsA)).to.have.length(1);
    expect(internal(eventsA)[0].where).to.match(/onAfterRegister/);
    expect(internal(eventsB)).to.deep.equal([]);

    const atB = await request(b.app).post('/auth/register').send({ email: 'hook@example.com', password: PASSWORD });
    expect(atB.status, JSON.stringify(atB.body)).to.equal(201);
    expect(internal(eventsB)).to.deep.equal([]);
    expect(internal(eventsA)).to.have.length(1);
  });

  it('a bug on a library route of app A (not the default app) is reported to A, not to B', async () => {
    const user = await createUser(a.auth, { email: 'sessions@example.com' });
    const token = await a.auth.createToken(user, { backend: 'jwt' });
    await captureConsoleErrors(async () => {
      const res = await request(a.app).get('/auth/sessions').set('Authorization', `Bearer ${token}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(500);
      expect(res.body).to.deep.equal({ code: 'INTERNAL_ERROR', message: res.body.message });
    });
    expect(internal(eventsA)).to.have.length(1);
    expect((internal(eventsA)[0].error as Error).message).to.equal('bug in app A session listing');
    expect(internal(eventsB)).to.deep.equal([]);
  });

  it("an outage of app A's store is counted in A's outage log, not B's", async () => {
    const user = await createUser(a.auth, { email: 'outage@example.com' });
    const token = await a.auth.createToken(user, { backend: 'down' });
    const logged = await captureConsoleErrors(async () => {
      for (let i = 0; i < 2; i++) {
        const res = await request(a.app).get('/items').set('Authorization', `Bearer ${token}`);
        expect(res.status).to.equal(503);
      }
    });
    expect(a.auth.context.failures.outages.open).to.equal(true);
    expect(b.auth.context.failures.outages.open).to.equal(false);
    expect(logged.map(String)).to.have.length(1);
    expect(String(logged[0][0])).to.match(/the database is unreachable \(connect ECONNREFUSED 127\.0\.0\.1:1\)/);
    a.auth.context.failures.outages.stop();
  });
});
