/**
 * A Redis that accepts connections but never answers (its process frozen with SIGSTOP: the sockets
 * stay open, so the client sees nothing wrong) under every Redis store of the library. Each store
 * gives up after its `commandTimeoutMs` and the request gets 503 `AUTH_BACKEND_UNAVAILABLE` (the
 * rate limits count in memory instead, as they do for any Redis outage); once the process is
 * thawed (SIGCONT) the same store serves again. Nothing hangs: every request has a timeout.
 *
 * This suite stalls its OWN redis-server, never the shared one. The stores added since (pending
 * logins, WebAuthn challenges, API keys) are stalled here too, called directly.
 */
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import type { RedisClientType } from 'redis';
import { JsonController } from 'routing-controllers';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AccessToken,
  AuthenticationBackend,
  AuthSession,
  BackendUnavailableError,
  BearerTransport,
  GitHubProvider,
  JwtStrategy,
  OAuthAccount,
  OAuthController,
  RedisApiKeyStore,
  RedisOAuthStateStore,
  RedisPendingLoginStore,
  RedisRevocationStore,
  RedisWebAuthnChallengeStore,
  RedisSessionStore,
  RedisStrategy,
  RefreshToken,
} from '../../src';
import { buildApp, createUser, PASSWORD, User, type TestApp } from '../support/app';
import { eventually } from '../support/eventually';
import { connectOutageReadyClient } from '../support/redis-client';
import { RedisServer } from '../support/services';

/** Every store's time limit here: small, so a stalled command is given up quickly. */
const LIMIT_MS = 200;
/** No request may take longer than this: a hang fails the test instead of stalling it. */
const REQUEST_TIMEOUT_MS = 3000;

function expect503(res: request.Response): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(503);
  expect(res.body.code).to.equal('AUTH_BACKEND_UNAVAILABLE');
}

describe('a stalled Redis (SIGSTOP) under every Redis store', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let client: RedisClientType;

  /** Runs `check` with the Redis process frozen; thawed afterwards whatever happens. */
  async function whileStalled(check: () => Promise<void>): Promise<void> {
    server.pause();
    try {
      await check();
    } finally {
      server.unpause();
    }
  }

  before(async () => {
    server = await RedisServer.start();
    client = await connectOutageReadyClient(server.url);
  });
  afterEach(() => server?.unpause()); // a failed assertion must never leave it frozen for the next test
  after(async () => {
    server?.unpause();
    client?.destroy();
    await server?.destroy();
  });

  describe('on the request path: strategy, session store, revocation store, OAuth state store', () => {
    let t: TestApp;
    let url: string;
    let email: string;
    let revocation: RedisRevocationStore;

    @JsonController('/auth/github')
    class GitHubController extends OAuthController<User> {
      constructor() {
        // Authorize only builds GitHub's URL: nothing listens there, nothing is asked of it.
        const provider = new GitHubProvider({ clientId: 'Iv1.stall', clientSecret: 'github-test-secret-0123456789', webBaseUrl: 'http://127.0.0.1:9' });
        super(provider, 'jwt', {
          auth: t.auth,
          redirectUri: `${url}/auth/github/callback`,
          stateStore: new RedisOAuthStateStore({ redis: client, commandTimeoutMs: LIMIT_MS }),
        });
      }
    }

    before(async () => {
      revocation = new RedisRevocationStore({ redis: client, commandTimeoutMs: LIMIT_MS });
      const dataSource = new DataSource({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: [User, AccessToken, OAuthAccount, AuthSession, RefreshToken],
        synchronize: true,
      });
      t = await buildApp({
        dataSource,
        extraControllers: [GitHubController],
        backends: [
          new AuthenticationBackend({
            name: 'redis',
            transport: new BearerTransport({ tokenUrl: '/auth/redis/login' }),
            strategy: new RedisStrategy({ redis: client, commandTimeoutMs: LIMIT_MS }),
          }),
          new AuthenticationBackend({
            name: 'jwt',
            transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
            strategy: new JwtStrategy({ secret: 'stall-revocation-secret-0123456789-abcdefghijklmnop', revocation }),
          }),
          // Another secret: a JWT of one backend is no token of the other (each test stalls one store).
          new AuthenticationBackend({
            name: 'sessions',
            transport: new BearerTransport({ tokenUrl: '/auth/sessions/login' }),
            strategy: new JwtStrategy({ secret: 'stall-sessions-secret-0123456789-ABCDEFGHIJKLMNOPQ' }),
            refresh: { store: new RedisSessionStore({ redis: client, commandTimeoutMs: LIMIT_MS, keyPrefix: 'stall-sessions:' }) },
          }),
        ],
      });
      ({ url } = await t.listen());
      email = (await createUser(t.auth, { email: 'stall@redis.io' })).email;
    });
    after(() => t?.close());

    const login = (backend: string) =>
      request(url).post(`/auth/${backend}/login`).timeout(REQUEST_TIMEOUT_MS).type('form').send({ username: email, password: PASSWORD });
    const items = (token: string) => request(url).get('/items').timeout(REQUEST_TIMEOUT_MS).set('Authorization', `Bearer ${token}`);
    const refresh = (token: string) =>
      request(url).post('/auth/sessions/refresh').timeout(REQUEST_TIMEOUT_MS).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
    const authorize = () => request(url).get('/auth/github/authorize').timeout(REQUEST_TIMEOUT_MS);

    it('RedisStrategy: reading a token and writing one (login) answer 503, then serve again', async () => {
      const before = await login('redis');
      expect(before.status, JSON.stringify(before.body)).to.equal(200);
      await whileStalled(async () => {
        expect503(await items(before.body.access_token));
        expect503(await login('redis'));
      });
      await eventually(async () => (await items(before.body.access_token)).status === 200, 'Redis thawed');
      const after = await login('redis');
      expect(after.status).to.equal(200);
      expect((await items(after.body.access_token)).body).to.deep.equal({ owner: email });
    });

    it('RedisSessionStore: a refresh answers 503 and uses nothing up; the same refresh token works once thawed', async () => {
      const first = await login('sessions');
      expect(first.status, JSON.stringify(first.body)).to.equal(200);
      await whileStalled(async () => expect503(await refresh(first.body.refresh_token)));
      await eventually(async () => (await refresh(first.body.refresh_token)).status === 200, 'Redis thawed');
    });

    it('RedisRevocationStore: the revocation check of a JWT request answers 503, then the token is served again', async () => {
      const jwt = await login('jwt');
      expect(jwt.status).to.equal(200);
      expect((await items(jwt.body.access_token)).status).to.equal(200);
      await whileStalled(async () => expect503(await items(jwt.body.access_token)));
      await eventually(async () => (await items(jwt.body.access_token)).status === 200, 'Redis thawed');
      // The check still reads Redis: a revocation written now refuses the token.
      await revocation.revokeAllIssuedBefore((await t.auth.userManager.getByEmail(email))!.id, new Date());
      expect((await items(jwt.body.access_token)).status).to.equal(401);
    });

    it('RedisOAuthStateStore: starting a flow (GET /authorize) answers 503, then starts again', async () => {
      await whileStalled(async () => expect503(await authorize()));
      await eventually(async () => (await authorize()).status === 200, 'Redis thawed');
      expect((await authorize()).body.authorization_url).to.match(/^http:\/\/127\.0\.0\.1:9\/login\/oauth\/authorize\?/);
    });

    it('RedisOAuthStateStore: taking a flow answers 503 (called directly), and a saved flow is taken once thawed', async () => {
      const store = new RedisOAuthStateStore({ redis: client, commandTimeoutMs: LIMIT_MS, keyPrefix: `stall-oauth-${randomBytes(4).toString('hex')}:` });
      const record = { purpose: 'login' as const, bindingDigest: 'ab'.repeat(32), codeVerifier: 'v', nonce: 'n', expiresAt: Date.now() + 60_000 };
      await store.save('kept', record, 60);
      await whileStalled(async () => {
        const failure = await store.take('other').then(
          () => null,
          (error: unknown) => error,
        );
        expect(failure).to.be.instanceOf(BackendUnavailableError);
        expect((failure as BackendUnavailableError).toJSON().code).to.equal('AUTH_BACKEND_UNAVAILABLE');
      });
      await eventually(async () => (await store.take('kept'))?.nonce === 'n', 'Redis thawed');
    });
  });

  describe('the second-factor, passkey and API-key stores (called directly)', () => {
    const prefix = (name: string) => `stall-${name}-${randomBytes(4).toString('hex')}:`;
    /** What `call` fails with while Redis is frozen: a 503 outage within the time limit, never a hang. */
    async function outageOf(call: () => Promise<unknown>): Promise<void> {
      const failure = await call().then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(BackendUnavailableError);
      expect((failure as BackendUnavailableError).toJSON().code).to.equal('AUTH_BACKEND_UNAVAILABLE');
    }

    it('RedisPendingLoginStore: peek, take and save answer 503; a saved login is taken once thawed', async () => {
      const store = new RedisPendingLoginStore({ redis: client, commandTimeoutMs: LIMIT_MS, keyPrefix: prefix('mfa') });
      const login = { purpose: 'login' as const, userId: 'u1', backend: 'jwt', amr: ['pwd'], scopes: [], expiresAt: Date.now() + 60_000 };
      await store.save('kept', login, 60);
      await whileStalled(async () => {
        await outageOf(() => store.peek('kept'));
        // Another login: a take given up on still reaches Redis once it is thawed (it is queued), and
        // uses its login up then, a 503 never turning into a second use.
        await outageOf(() => store.take('other'));
        await outageOf(() => store.save('another', login, 60));
      });
      await eventually(async () => (await store.take('kept'))?.userId === 'u1', 'Redis thawed');
      expect(await store.take('kept')).to.equal(undefined);
    });

    it('RedisWebAuthnChallengeStore: take and save answer 503; a saved challenge is taken once thawed', async () => {
      const store = new RedisWebAuthnChallengeStore({ redis: client, commandTimeoutMs: LIMIT_MS, keyPrefix: prefix('webauthn') });
      const record = { purpose: 'login' as const, expiresAt: Date.now() + 60_000 };
      await store.save('challenge', record, 60);
      await whileStalled(async () => {
        await outageOf(() => store.take('other'));
        await outageOf(() => store.save('another', record, 60));
      });
      await eventually(async () => (await store.take('challenge'))?.purpose === 'login', 'Redis thawed');
    });

    it('RedisApiKeyStore: the per-request lookup answers 503, and answers again once thawed', async () => {
      const store = new RedisApiKeyStore({ redis: client, commandTimeoutMs: LIMIT_MS, keyPrefix: prefix('api-key') });
      const digest = 'cd'.repeat(32);
      await whileStalled(() => outageOf(() => store.findByDigest(digest)));
      await eventually(async () => (await store.findByDigest(digest)) === null, 'Redis thawed');
    });
  });

  describe('rate limits', () => {
    let t: TestApp;
    let email: string;
    const keyPrefix = `stall-rate-${randomBytes(4).toString('hex')}:`;

    before(async () => {
      t = await buildApp({
        rateLimits: {
          redis: client,
          keyPrefix,
          commandTimeoutMs: LIMIT_MS,
          limits: { login: { perIp: { points: 2, durationSeconds: 60 }, perAccount: false } },
        },
      });
      t.setTrustProxy(true);
      email = (await createUser(t.auth, { email: 'stall-rate@redis.io' })).email;
    });
    after(() => t?.close());

    const login = (ip: string) =>
      request(t.app).post('/auth/jwt/login').timeout(REQUEST_TIMEOUT_MS).set('X-Forwarded-For', ip).type('form').send({ username: email, password: PASSWORD });

    it('count in memory while Redis does not answer (the budget still holds), and in Redis again once thawed', async () => {
      await whileStalled(async () => {
        expect((await login('198.51.100.20')).status).to.equal(200);
        expect((await login('198.51.100.20')).status).to.equal(200);
        const refused = await login('198.51.100.20');
        expect(refused.status).to.equal(429);
        expect(refused.body.code).to.equal('TOO_MANY_REQUESTS');
      });
      await eventually(async () => (await login('198.51.100.21')).status === 200, 'Redis thawed');
      // Counted in Redis, not in memory: the budget's key is there.
      expect(await client.exists(`${keyPrefix}login:perIp:198.51.100.21`)).to.equal(1);
    });
  });
});
