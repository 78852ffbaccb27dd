/**
 * Misconfigurations caught at start-up by `auth.ready()`, each with the option and the fix in its
 * message; and, for an app that skips it, the library's own message instead of TypeORM's
 * `No metadata for "User" was found`.
 */
import { expect } from 'chai';
import { createClient } from 'redis';
import request from 'supertest';
import { DataSource, Entity } from 'typeorm';
import {
  AccessToken,
  Auth,
  AuthConfigurationError,
  AuthenticationBackend,
  BaseUser,
  BearerTransport,
  DatabaseRevocationStore,
  DatabaseStrategy,
  JwtRevocation,
  JwtStrategy,
  OAuthAccount,
  OAuthController,
  type OAuthProvider,
  RedisOAuthStateStore,
  RedisStrategy,
  AuthSession,
  RefreshToken,
  CookieTransport,
  ApiKey,
  ApiKeysController,
  ApiKeyStrategy,
  ApiKeyTransport,
  AuthController,
  type AuthOptions,
  type ReadyOptions,
} from '../../src';
import { JsonController } from 'routing-controllers';
import { planLoading } from '../../src/typeorm/primary-key-loader';
import { buildApp, createUser, PASSWORD, SECRET, User, type TestApp } from '../support/app';
import { captureConsoleErrors } from '../support/console';

@Entity('never_registered_user')
class UnregisteredUser extends BaseUser {}

const jwt = (options: Partial<ConstructorParameters<typeof JwtStrategy>[0]> = {}) =>
  new AuthenticationBackend({ name: 'jwt', transport: new BearerTransport({ tokenUrl: '/login' }), strategy: new JwtStrategy({ secret: SECRET, ...options }) });
const database = () => new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/db/login' }), strategy: new DatabaseStrategy() });

function sqlite(entities: Function[]): DataSource {
  return new DataSource({ type: 'better-sqlite3', database: ':memory:', entities, synchronize: true });
}

function configure(dataSource: DataSource, options: Partial<AuthOptions<User>> = {}): Auth<User> {
  return Auth.configure<User>({ dataSource, userEntity: User, secret: SECRET, backends: [jwt()], rateLimits: false, ...options });
}

/**
 * `auth.ready()`'s refusal. `controllers: []` unless given: this process holds every test file's
 * controllers, and routing-controllers' registry (the default) would offer them all.
 */
async function readinessError(auth: Auth<any>, options: ReadyOptions = { controllers: [] }): Promise<string> {
  const error = await auth.ready(options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'auth.ready() must refuse').to.be.instanceOf(AuthConfigurationError);
  return (error as Error).message;
}

describe('auth.ready(): misconfigurations caught at start-up', () => {
  const opened: DataSource[] = [];
  const open = async (dataSource: DataSource) => {
    opened.push(await dataSource.initialize());
    return dataSource;
  };
  after(async () => {
    for (const dataSource of opened) if (dataSource.isInitialized) await dataSource.destroy();
  });

  it('a DataSource that is not initialised', async () => {
    const message = await readinessError(configure(sqlite([User])));
    expect(message).to.include('the DataSource is not initialised yet').and.include('await dataSource.initialize()');
  });

  it('a user entity the DataSource does not know', async () => {
    const auth = Auth.configure<any>({
      dataSource: await open(sqlite([User])),
      userEntity: UnregisteredUser,
      secret: SECRET,
      backends: [jwt()],
      rateLimits: false,
    });
    const message = await readinessError(auth);
    expect(message).to.equal(
      "Auth.configure({ userEntity }) needs the UnregisteredUser entity, which the DataSource does not know: add UnregisteredUser to your DataSource's `entities`.",
    );
  });

  it('DatabaseStrategy without AccessToken', async () => {
    const message = await readinessError(configure(await open(sqlite([User])), { backends: [database()] }));
    expect(message).to.include('DatabaseStrategy needs the AccessToken entity').and.include("add AccessToken to your DataSource's `entities`");
  });

  it('a JWT revocation store without JwtRevocation', async () => {
    const message = await readinessError(configure(await open(sqlite([User])), { backends: [jwt({ revocation: new DatabaseRevocationStore() })] }));
    expect(message).to.include('DatabaseRevocationStore needs the JwtRevocation entity');
  });

  it('a node-redis client never connected, for RedisStrategy and for the rate limits', async () => {
    const redis = createClient({ url: process.env.TEST_REDIS_URL });
    const backend = new AuthenticationBackend({
      name: 'redis',
      transport: new BearerTransport({ tokenUrl: '/r/login' }),
      strategy: new RedisStrategy({ redis: redis }),
    });
    const message = await readinessError(configure(await open(sqlite([User, AccessToken])), { backends: [backend], rateLimits: { redis } }));
    expect(message).to.match(/^Auth is not ready:\n- RedisStrategy\(\{ redis \}\): the node-redis client is not connected\. Call `await redis\.connect\(\)`/);
    expect(message).to.include('- Auth.configure({ rateLimits: { redis } }): the node-redis client is not connected.');

    await redis.connect();
    try {
      const auth = configure(sqlite([User, AccessToken]), { backends: [backend], rateLimits: { redis } });
      await open((auth.userStore as any).dataSource);
      expect(await auth.ready({ controllers: [] })).to.equal(auth);
    } finally {
      redis.destroy();
    }
  });

  it('several problems: one error listing each', async () => {
    const message = await readinessError(configure(await open(sqlite([User])), { backends: [database(), jwt({ revocation: new DatabaseRevocationStore() })] }));
    expect(message.split('\n')).to.have.length(3);
    expect(message).to.include('AccessToken').and.include('JwtRevocation');
  });

  it('a well-configured app is ready, and its user loading is decided then', async () => {
    const dataSource = await open(sqlite([User, AccessToken, JwtRevocation]));
    const auth = configure(dataSource, { backends: [database(), jwt({ revocation: new DatabaseRevocationStore() })] });
    expect(await auth.ready({ controllers: [] })).to.equal(auth);
    expect(planLoading(dataSource, dataSource.getMetadata(User)).path).to.equal('plain-sql');
  });
});

describe("without auth.ready(): the library's message, not TypeORM's", () => {
  it('before initialize() and for an unregistered entity, the user store names the cause and the fix', async () => {
    const dataSource = sqlite([User]);
    const auth = Auth.configure<any>({ dataSource, userEntity: UnregisteredUser, secret: SECRET, backends: [jwt()], rateLimits: false });
    const id = '3f0c6f5e-8a43-4c0e-9d0e-0d3c5a7b9e11';
    const early = await auth.userStore.findById(id).then(
      () => null,
      (e: Error) => e,
    );
    expect(early?.message).to.include('the DataSource is not initialised yet');
    await dataSource.initialize();
    try {
      const unknown = await auth.userStore.findById(id).then(
        () => null,
        (e: Error) => e,
      );
      expect(unknown).to.be.instanceOf(AuthConfigurationError);
      expect(unknown!.message).to.include('add UnregisteredUser to your DataSource').and.not.include('No metadata');
      const byEmail = await auth.userStore.findByEmail('a@b.c').then(
        () => null,
        (e: Error) => e,
      );
      expect(byEmail!.message).to.include('add UnregisteredUser to your DataSource');
    } finally {
      await dataSource.destroy();
    }
  });

  describe('over HTTP', () => {
    let t: TestApp;
    after(() => t?.close());

    it('a request meeting the misconfiguration answers 500 AUTH_MISCONFIGURED and logs the fix once', async () => {
      t = await buildApp({ dataSource: sqlite([User, AccessToken]), userEntity: UnregisteredUser, backends: [jwt()] });
      const token = await t.auth.createToken({ id: '3f0c6f5e-8a43-4c0e-9d0e-0d3c5a7b9e11' } as User, { scopes: [] });
      const logged = await captureConsoleErrors(async () => {
        const res = await request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
        expect(res.status).to.equal(500);
        expect(res.body).to.deep.equal({ code: 'AUTH_MISCONFIGURED', message: 'The authentication library is misconfigured: see the server log.' });
      });
      expect(logged).to.have.length(1);
      expect(logged[0]).to.have.length(1); // one string: the fix, no stack
      expect(String(logged[0][0])).to.include('add UnregisteredUser to your DataSource').and.not.include('\n');
    });
  });
});

/** A provider never called: these tests stop before the browser would leave for it. */
const provider: OAuthProvider = {
  name: 'github',
  authorizationUrl: async () => 'https://github.example/login/oauth/authorize',
  fetchProfile: async () => {
    throw new Error('not called');
  },
};

function oauthController(auth: () => Auth<any>, backend: string, options: Record<string, unknown> = {}, route = '/auth/github'): Function {
  @JsonController(route)
  class GitHubAuth extends OAuthController {
    constructor() {
      super(provider, backend, { redirectUri: 'http://127.0.0.1/auth/github/callback', auth: auth(), ...options });
    }
  }
  return GitHubAuth;
}

describe('auth.ready(): what the controllers and backends need', () => {
  const opened: DataSource[] = [];
  const open = async (dataSource: DataSource) => {
    opened.push(await dataSource.initialize());
    return dataSource;
  };
  after(async () => {
    for (const dataSource of opened) if (dataSource.isInitialized) await dataSource.destroy();
  });

  it('an OAuthController without the OAuthAccount entity: refused, whether the controllers are given or found in routing-controllers', async () => {
    const auth = configure(await open(sqlite([User])));
    const controller = oauthController(() => auth, 'jwt');
    const expected =
      "OAuthController (social login) needs the OAuthAccount entity, which the DataSource does not know: add OAuthAccount to your DataSource's `entities`.";
    expect(await readinessError(auth, { controllers: [controller] })).to.equal(expected);
    // Without the list: every controller class routing-controllers knows of (this one among them).
    expect(await readinessError(auth, {})).to.include(expected);
    // A controller serving another Auth is that Auth's business.
    const other = configure(await open(sqlite([User])));
    expect(await other.ready({ controllers: [controller] })).to.equal(other);
  });

  it('its backend, redirectUrl, the refresh cookie path and the Redis state store, one line each', async () => {
    const redis = createClient({ url: process.env.TEST_REDIS_URL }); // never connected
    const cookie = new AuthenticationBackend({ name: 'cookie', transport: new CookieTransport(), strategy: new DatabaseStrategy(), refresh: {} });
    const auth = configure(await open(sqlite([User, AccessToken, OAuthAccount, AuthSession, RefreshToken])), { backends: [jwt(), cookie] });
    const controllers = [
      oauthController(() => auth, 'jwtt'),
      oauthController(() => auth, 'jwt', { redirectUrl: '/account' }),
      oauthController(() => auth, 'cookie'),
      oauthController(() => auth, 'jwt', { stateStore: new RedisOAuthStateStore({ redis }) }),
    ];
    const lines = (await readinessError(auth, { controllers })).split('\n');
    expect(lines[0]).to.equal('Auth is not ready:');
    expect(lines.slice(1)).to.deep.equal([
      `- ${controllers[0].name} (an OAuthController) logs in with the "jwtt" backend, which Auth.configure does not have (its backends: "jwt", "cookie").`,
      '- OAuthController: redirectUrl needs a cookie backend (a bearer token would be lost in the redirect).',
      '- OAuthController: the "cookie" backend has refresh tokens in a cookie; give it `refresh: { cookiePath }` (its AuthController\'s route + "/refresh", e.g. "/auth/cookie/refresh") so a social login\'s refresh cookie reaches POST /refresh.',
      '- RedisOAuthStateStore({ redis }): the node-redis client is not connected. Call `await redis.connect()` before `auth.ready()` and before serving requests.',
    ]);
  });

  it('an AuthController on an API-key backend or an unknown one, and an ApiKeysController without an ApiKeyStrategy', async () => {
    const keys = new AuthenticationBackend({ name: 'keys', transport: new ApiKeyTransport(), strategy: new ApiKeyStrategy() });
    const withKeys = configure(await open(sqlite([User, ApiKey])), { backends: [jwt(), keys] });
    class KeyLogin extends AuthController<User> {
      constructor() {
        super('keys', withKeys);
      }
    }
    class Nowhere extends AuthController<User> {
      constructor() {
        super('nowhere', withKeys);
      }
    }
    class JwtLogin extends AuthController<User> {
      constructor() {
        super('jwt', withKeys);
      }
    }
    expect((await readinessError(withKeys, { controllers: [KeyLogin, Nowhere, JwtLogin] })).split('\n').slice(1)).to.deep.equal([
      '- KeyLogin (an AuthController) logs in through the "keys" backend, whose strategy makes no sessions (API keys are made with ApiKeysController): give it a backend with a token strategy.',
      '- Nowhere (an AuthController) names the "nowhere" backend, which Auth.configure does not have.',
    ]);
    const without = configure(await open(sqlite([User])));
    class Keys extends ApiKeysController<User> {
      constructor() {
        super(undefined, without);
      }
    }
    expect(await readinessError(without, { controllers: [Keys] })).to.include('ApiKeysController: no backend has an ApiKeyStrategy.');
    class KeysOfWithKeys extends ApiKeysController<User> {
      constructor() {
        super(undefined, withKeys);
      }
    }
    expect(await withKeys.ready({ controllers: [KeysOfWithKeys, JwtLogin] })).to.equal(withKeys);
  });

  it('one line per problem: a DataSource not initialised yet, a session store shared by two backends', async () => {
    const backends = () => [
      new AuthenticationBackend({
        name: 'jwt',
        transport: new BearerTransport({ tokenUrl: '/l' }),
        strategy: new JwtStrategy({ secret: SECRET }),
        refresh: {},
      }),
      new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/d' }), strategy: new DatabaseStrategy(), refresh: {} }),
    ];
    const early = configure(sqlite([User, AccessToken]), { backends: backends() });
    expect(await readinessError(early)).to.equal(
      'Auth.configure({ dataSource }): the DataSource is not initialised yet. Call `await dataSource.initialize()` before `auth.ready()` and before serving requests.',
    );
    const later = configure(await open(sqlite([User, AccessToken])), { backends: backends() });
    expect(await readinessError(later)).to.equal(
      "Refresh tokens (a backend with `refresh`) needs the AuthSession entity, which the DataSource does not know: add AuthSession to your DataSource's `entities`.",
    );
  });

  describe('met on a request anyway (no auth.ready())', () => {
    let t: TestApp;
    afterEach(() => t?.close());

    it('/authorize answers 500 AUTH_MISCONFIGURED before sending the browser to the provider; the fix is logged once', async () => {
      // The controller serves the Auth routing-controllers' app was built with (Auth.current()).
      t = await buildApp({ dataSource: sqlite([User, AccessToken]), extraControllers: [oauthController(() => Auth.current(), 'jwt', {}, '/auth/forgotten')] });
      const logged = await captureConsoleErrors(async () => {
        for (let i = 0; i < 3; i++) {
          const res = await request(t.app).get('/auth/forgotten/authorize');
          expect(res.status).to.equal(500);
          expect(res.body).to.deep.equal({ code: 'AUTH_MISCONFIGURED', message: 'The authentication library is misconfigured: see the server log.' });
        }
      });
      expect(logged).to.deep.equal([
        [
          "routing-controllers-auth: misconfigured: OAuthController (social login) needs the OAuthAccount entity, which the DataSource does not know: add OAuthAccount to your DataSource's `entities`. (met in GitHubAuth.authorize; each request meeting it answers 500 AUTH_MISCONFIGURED; logged once)",
        ],
      ]);
    });

    it('a refresh backend without its entities: one line with the fix for three logins, no stack', async () => {
      const backend = new AuthenticationBackend({
        name: 'jwt',
        transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
        strategy: new JwtStrategy({ secret: SECRET }),
        refresh: {},
      });
      t = await buildApp({ dataSource: sqlite([User, AccessToken]), backends: [backend] });
      await createUser(t.auth, { email: 'no-sessions@example.com' });
      const logged = await captureConsoleErrors(async () => {
        for (let i = 0; i < 3; i++) {
          const res = await request(t.app).post('/auth/jwt/login').type('form').send({ username: 'no-sessions@example.com', password: PASSWORD });
          expect(res.status).to.equal(500);
          expect(res.body.code).to.equal('AUTH_MISCONFIGURED');
        }
      });
      expect(logged).to.have.length(1);
      expect(logged[0]).to.have.length(1);
      expect(logged[0][0]).to.match(
        /^routing-controllers-auth: misconfigured: Refresh tokens \(a backend with `refresh`\) needs the RefreshToken entity.*add RefreshToken to your DataSource's `entities`\./,
      );
      expect(logged[0][0]).not.to.include('\n').and.not.include('a store call failed');
    });
  });
});
