/**
 * 503 only for outages. A bug met while authenticating or on a library route (a store that throws,
 * a broken entity shape, a configuration error) answers 500 `{code, message}` with no stack, is
 * logged once with its stack and published as `internal.error`; an unreachable store still
 * answers 503 `AUTH_BACKEND_UNAVAILABLE`.
 */
import { expect } from 'chai';
import request from 'supertest';
import { Column, DataSource, Entity, VirtualColumn } from 'typeorm';
import {
  AuthenticationBackend,
  BaseUser,
  BearerTransport,
  DatabaseStrategy,
  JwtStrategy,
  TypeOrmUserStore,
  type AuthEvent,
  type Strategy,
  type TokenGrant,
} from '../../src';
import { captureConsoleErrors } from '../support/console';
import { buildApp, createUser, makeDataSource, PASSWORD, SECRET, User, type TestApp } from '../support/app';

/** A strategy whose store fails the way `fail` says, on read and on write. */
class FailingStrategy implements Strategy {
  readonly lifetimeSeconds = 3600;
  constructor(private readonly fail: () => Error) {}
  async write(): Promise<string> {
    throw this.fail();
  }
  async read(): Promise<TokenGrant | null> {
    throw this.fail();
  }
  async destroy(): Promise<void> {}
}

function backendWith(strategy: Strategy): AuthenticationBackend {
  return new AuthenticationBackend({ name: 'broken', transport: new BearerTransport({ tokenUrl: '/auth/broken/login' }), strategy });
}

function expectInternal(res: request.Response, code = 'INTERNAL_ERROR'): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(500);
  expect(Object.keys(res.body).sort()).to.deep.equal(['code', 'message']);
  expect(res.body.code).to.equal(code);
  expect(JSON.stringify(res.body)).not.to.match(/stack|at .*\.js|bug in the store/);
}

/** Exactly one log line, carrying the cause itself (so its stack reaches the log). */
function expectLoggedOnce(calls: unknown[][], cause: RegExp): void {
  expect(calls, calls.map(String).join('\n')).to.have.length(1);
  const error = calls[0].find((arg): arg is Error => arg instanceof Error);
  expect(error, 'the logged error').to.be.instanceOf(Error);
  expect(`${error!.message}\n${(error as any).cause?.message ?? ''}`).to.match(cause);
  expect(error!.stack)
    .to.be.a('string')
    .and.match(/\n\s+at /);
}

describe('internal errors: a bug is a logged 500, never a 503', () => {
  let t: TestApp;
  let events: AuthEvent[];
  afterEach(() => t?.close());

  async function appWith(strategy: Strategy): Promise<void> {
    events = [];
    t = await buildApp({ backends: [backendWith(strategy), ...defaultJwt()], onEvent: (e) => void events.push(e) });
  }

  function defaultJwt(): AuthenticationBackend[] {
    return [
      new AuthenticationBackend({
        name: 'jwt',
        transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
        strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }),
      }),
    ];
  }

  it('a store that throws a bug on read: 500 INTERNAL_ERROR, logged once with its stack, published once', async () => {
    await appWith(new FailingStrategy(() => new TypeError('bug in the store')));
    const logged = await captureConsoleErrors(async () => {
      expectInternal(await request(t.app).get('/items').set('Authorization', 'Bearer some-token'));
    });
    expectLoggedOnce(logged, /bug in the store/);
    const internal = events.filter((e) => e.type === 'internal.error');
    expect(internal).to.have.length(1);
    expect((internal[0] as any).error).to.be.instanceOf(TypeError);
    expect((internal[0] as any).where).to.match(/broken/);
  });

  it('a store that is unreachable on read: still 503 AUTH_BACKEND_UNAVAILABLE, no bug reported: the log has the outage line only', async () => {
    await appWith(new FailingStrategy(() => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })));
    const logged = await captureConsoleErrors(async () => {
      const res = await request(t.app).get('/items').set('Authorization', 'Bearer some-token');
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({ code: 'AUTH_BACKEND_UNAVAILABLE', message: res.body.message });
    });
    expect(logged).to.deep.equal([[outageLine('connect ECONNREFUSED 127.0.0.1:1')]]);
    expect(events.filter((e) => e.type === 'internal.error')).to.deep.equal([]);
  });

  it('a bug on read is not hidden by a later backend: the request ends in the 500', async () => {
    await appWith(new FailingStrategy(() => new RangeError('bug in the store')));
    const user = await createUser(t.auth, { email: 'later-backend@example.com' });
    const jwt = await t.auth.createToken(user, { backend: 'jwt' });
    // The JWT backend would authenticate this token, but the first backend's bug must not pass as "no token".
    await captureConsoleErrors(async () => {
      expectInternal(await request(t.app).get('/items').set('Authorization', `Bearer ${jwt}`));
    });
  });

  it('a store that throws a bug on login: 500 INTERNAL_ERROR, logged once; an outage there: 503', async () => {
    await appWith(new FailingStrategy(() => new TypeError('bug in the store')));
    await createUser(t.auth, { email: 'login-bug@example.com' });
    const logged = await captureConsoleErrors(async () => {
      expectInternal(await request(t.app).post('/auth/broken/login').send({ username: 'login-bug@example.com', password: PASSWORD }));
    });
    expectLoggedOnce(logged, /bug in the store/);
    await t.close();

    await appWith(new FailingStrategy(() => Object.assign(new Error('Connection terminated unexpectedly'), {})));
    await createUser(t.auth, { email: 'login-outage@example.com' });
    const quiet = await captureConsoleErrors(async () => {
      const res = await request(t.app).post('/auth/broken/login').send({ username: 'login-outage@example.com', password: PASSWORD });
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal('1');
    });
    expect(quiet).to.deep.equal([[outageLine('Connection terminated unexpectedly')]]);
  });

  it('a user store that throws a bug: 500 on the protected route and on login, logged once each', async () => {
    const dataSource = makeDataSource();
    class BuggyStore extends TypeOrmUserStore<User> {
      findById(): Promise<User | null> {
        return Promise.reject(new TypeError('bug in the user store'));
      }
      findByEmail(): Promise<User | null> {
        return Promise.reject(new TypeError('bug in the user store'));
      }
    }
    events = [];
    t = await buildApp({ dataSource, userStore: new BuggyStore(dataSource, User), backends: defaultJwt(), onEvent: (e) => void events.push(e) });
    const token = await t.auth.createToken({ id: '3f0c6f5e-8a43-4c0e-9d0e-0d3c5a7b9e11' } as User, { backend: 'jwt', scopes: [] });
    const onRoute = await captureConsoleErrors(async () => {
      expectInternal(await request(t.app).get('/items').set('Authorization', `Bearer ${token}`));
    });
    expectLoggedOnce(onRoute, /bug in the user store/);
    const onLogin = await captureConsoleErrors(async () => {
      expectInternal(await request(t.app).post('/auth/jwt/login').send({ username: 'anyone@example.com', password: PASSWORD }));
    });
    expectLoggedOnce(onLogin, /bug in the user store/);
    expect(events.filter((e) => e.type === 'internal.error')).to.have.length(2);
  });

  it('a broken entity shape (a virtual column with invalid SQL): 500, not 503', async () => {
    @Entity('broken_shape_user')
    class BrokenShapeUser extends BaseUser {
      @VirtualColumn({ type: 'int', query: () => 'SELECT no_such_column FROM no_such_table' })
      broken?: number;
      @Column({ type: 'varchar', nullable: true })
      note?: string | null;
    }
    const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [BrokenShapeUser], synchronize: true });
    t = await buildApp({ dataSource, userEntity: BrokenShapeUser, backends: defaultJwt() });
    const token = await t.auth.createToken({ id: '3f0c6f5e-8a43-4c0e-9d0e-0d3c5a7b9e11' } as User, { backend: 'jwt', scopes: [] });
    const logged = await captureConsoleErrors(async () => {
      expectInternal(await request(t.app).get('/items').set('Authorization', `Bearer ${token}`));
    });
    expectLoggedOnce(logged, /no such (table|column)/);
  });

  it('a configuration error met on a request (AccessToken not registered): 500 AUTH_MISCONFIGURED, the fix in the log', async () => {
    const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [User], synchronize: true });
    t = await buildApp({
      dataSource,
      backends: [new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/auth/db/login' }), strategy: new DatabaseStrategy() })],
    });
    const validLooking = 'A'.repeat(43);
    const logged = await captureConsoleErrors(async () => {
      const res = await request(t.app).get('/items').set('Authorization', `Bearer ${validLooking}`);
      expectInternal(res, 'AUTH_MISCONFIGURED');
    });
    // A misconfiguration is one line with its fix, no stack (it is no bug in the code).
    expect(logged).to.have.length(1);
    expect(logged[0]).to.have.length(1);
    expect(logged[0][0])
      .to.match(/^routing-controllers-auth: misconfigured: DatabaseStrategy needs the AccessToken entity.*add AccessToken to your DataSource's `entities`\./)
      .and.not.include('\n');
  });
});

/** The server log's line for the first request a lost store refuses (see src/stores/outage-log.ts). */
function outageLine(reason: string): string {
  return `routing-controllers-auth: the database is unreachable (${reason}): requests that need it answer 503 AUTH_BACKEND_UNAVAILABLE until it is back.`;
}
