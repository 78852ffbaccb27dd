/**
 * One behaviour suite, run against every storage: a strategy that lags behind the others on
 * login, logout, expiry, scopes, revocation or bad tokens fails here by name.
 */
import { expect } from 'chai';
import { randomUUID } from 'crypto';
import { createClient, type RedisClientType } from 'redis';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AuthenticationBackend, BearerTransport, DatabaseStrategy, JwtStrategy, RedisStrategy, type Strategy } from '../../src';
import { buildApp, createUser, makeDataSource, PASSWORD, SECRET, type TestApp } from '../support/app';

interface Storage {
  /** The backend's name, so its routes are `/auth/<name>/login`. */
  name: string;
  label: string;
  /** Logout destroys the token server-side (every strategy but a plain JWT). */
  revocable: boolean;
  strategy(): Promise<{ strategy: Strategy; dataSource: DataSource; cleanup?: () => Promise<void> }>;
}

const storages: Storage[] = [
  {
    name: 'jwt',
    label: 'JWT',
    revocable: false,
    strategy: async () => ({ strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }), dataSource: makeDataSource('sqlite') }),
  },
  {
    name: 'db',
    label: 'Database / SQLite',
    revocable: true,
    strategy: async () => ({ strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }), dataSource: makeDataSource('sqlite') }),
  },
  {
    name: 'db',
    label: 'Database / PostgreSQL',
    revocable: true,
    strategy: async () => ({ strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }), dataSource: makeDataSource('postgres') }),
  },
  {
    name: 'redis',
    label: 'Redis',
    revocable: true,
    strategy: async () => {
      const url = process.env.TEST_REDIS_URL;
      if (!url) throw new Error('TEST_REDIS_URL is not set: the test services did not start.');
      const client = createClient({ url, disableOfflineQueue: true }) as RedisClientType;
      client.on('error', () => undefined);
      await client.connect();
      const strategy = new RedisStrategy({ redis: client, lifetimeSeconds: 3600, keyPrefix: `rcauth-behaviour:${randomUUID()}:` });
      return { strategy, dataSource: makeDataSource('sqlite'), cleanup: async () => client.destroy() };
    },
  },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits (under a second) for the start of a wall-clock second. JWT `exp` has one-second
 * resolution, so a one-second JWT issued late in a second could expire before its first use.
 */
async function startOfSecond(): Promise<void> {
  while (Date.now() % 1000 > 100) await sleep(Math.max(1, 1000 - (Date.now() % 1000)));
}

/** A copy of `token` with its middle character replaced. */
function flipped(token: string): string {
  const i = Math.floor(token.length / 2);
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

for (const storage of storages) {
  describe(`storage behaviour: ${storage.label}`, () => {
    let t: TestApp;
    let cleanup: (() => Promise<void>) | undefined;
    const loginUrl = `/auth/${storage.name}/login`;
    const logoutUrl = `/auth/${storage.name}/logout`;

    before(async () => {
      const made = await storage.strategy();
      cleanup = made.cleanup;
      const backend = new AuthenticationBackend({
        name: storage.name,
        transport: new BearerTransport({ tokenUrl: loginUrl }),
        strategy: made.strategy,
      });
      t = await buildApp({ backends: [backend], dataSource: made.dataSource });
    });
    after(async () => {
      await t?.close();
      await cleanup?.();
    });

    let counter = 0;
    async function newUser(fields: Record<string, unknown> = {}) {
      return createUser(t.auth, { email: `user${++counter}@behaviour.io`, ...fields });
    }
    async function login(email: string, extra: Record<string, string> = {}, as: 'form' | 'json' = 'form'): Promise<string> {
      const res = await request(t.app)
        .post(loginUrl)
        .type(as)
        .send({ username: email, password: PASSWORD, ...extra });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body.access_token;
    }
    const get = (path: string, token: string) => request(t.app).get(path).set('Authorization', `Bearer ${token}`);

    it('logs in with the OAuth2 password form and the token opens a protected route', async () => {
      const user = await newUser();
      const res = await request(t.app).post(loginUrl).type('form').send({ username: user.email, password: PASSWORD });
      expect(res.status).to.equal(200);
      expect(res.body.token_type).to.equal('bearer');
      expect(res.body.access_token).to.be.a('string').that.is.not.empty;
      expect(res.headers['cache-control']).to.equal('no-store');
      const items = await get('/items', res.body.access_token);
      expect(items.status).to.equal(200);
      expect(items.body).to.deep.equal({ owner: user.email });
    });

    it('logs in with JSON, email matched case-insensitively', async () => {
      const user = await newUser();
      const token = await login(user.email.toUpperCase(), {}, 'json');
      expect((await get('/items', token)).body).to.deep.equal({ owner: user.email });
    });

    it('refuses a wrong password with 400 LOGIN_BAD_CREDENTIALS', async () => {
      const user = await newUser();
      const res = await request(t.app).post(loginUrl).type('form').send({ username: user.email, password: 'wrong password entirely' });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('LOGIN_BAD_CREDENTIALS');
    });

    if (storage.revocable) {
      it('logout (204) destroys the token: it is refused with 401 at once', async () => {
        const user = await newUser();
        const token = await login(user.email);
        const other = await login(user.email); // another session of the same user
        expect((await request(t.app).post(logoutUrl).set('Authorization', `Bearer ${token}`)).status).to.equal(204);
        const res = await get('/items', token);
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('UNAUTHORIZED');
        expect((await request(t.app).post(logoutUrl).set('Authorization', `Bearer ${token}`)).status).to.equal(401);
        expect((await get('/items', other)).status).to.equal(200);
      });

      it("revokeAllTokens ends every session of the user, and only that user's (log out everywhere)", async () => {
        const user = await newUser();
        const bystander = await newUser();
        const sessions = [await login(user.email), await login(user.email), await t.auth.createToken(user, { backend: storage.name, lifetimeSeconds: null })];
        const other = await login(bystander.email);
        await t.auth.revokeAllTokens(user.id);
        for (const token of sessions) expect((await get('/items', token)).status).to.equal(401);
        expect((await get('/items', other)).status).to.equal(200);
        expect((await get('/items', await login(user.email))).status).to.equal(200); // a new login works
      });
    } else {
      it('logout answers 204 but a plain JWT stays valid until it expires (documented)', async () => {
        const user = await newUser();
        const token = await login(user.email);
        expect((await request(t.app).post(logoutUrl).set('Authorization', `Bearer ${token}`)).status).to.equal(204);
        expect((await get('/items', token)).status).to.equal(200);
      });
    }

    it('a one-second token works at once and is refused once it has expired', async () => {
      const user = await newUser();
      await startOfSecond();
      const token = await t.auth.createToken(user, { backend: storage.name, lifetimeSeconds: 1 });
      expect((await get('/items', token)).status).to.equal(200);
      await sleep(1100);
      const res = await get('/items', token);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
      expect(res.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
    });

    it('grants requested ∩ allowed scopes at login, and @Authorized(scopes) answers 403 INSUFFICIENT_SCOPE without them', async () => {
      const user = await newUser({ scopes: ['items:write', 'items:read'] });

      const all = await login(user.email);
      expect((await get('/items/both', all)).status).to.equal(200);

      const writeOnly = await login(user.email, { scope: 'items:write admin:everything' });
      expect((await get('/items/admin', writeOnly)).status).to.equal(200);
      const denied = await get('/items/both', writeOnly);
      expect(denied.status).to.equal(403);
      expect(denied.body.code).to.equal('INSUFFICIENT_SCOPE');

      const none = await login(user.email, { scope: 'admin:everything' }, 'json');
      expect((await get('/items', none)).status).to.equal(200); // no scopes still passes @Authorized()
      const noScope = await get('/items/admin', none);
      expect(noScope.status).to.equal(403);
      expect(noScope.body.code).to.equal('INSUFFICIENT_SCOPE');
    });

    it('carries the scopes createToken is given, as they are', async () => {
      const user = await newUser();
      const token = await t.auth.createToken(user, { backend: storage.name, scopes: ['items:write'] });
      expect((await get('/items/admin', token)).status).to.equal(200);
      expect((await get('/items/both', token)).status).to.equal(403);
    });

    it("refuses a deactivated user's token", async () => {
      const user = await newUser();
      const token = await login(user.email);
      // Straight through the store: no token revocation, so the user check itself must refuse.
      await t.auth.userStore.update(user, { isActive: false });
      const res = await get('/items', token);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
    });

    it("refuses a deleted user's token", async () => {
      const user = await newUser();
      const token = await login(user.email);
      await t.auth.userStore.delete(user);
      const res = await get('/items', token);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
    });

    it('refuses bad tokens (garbage, 12 KB, truncated, one character flipped) with 401 UNAUTHORIZED', async () => {
      const user = await newUser();
      const token = await login(user.email);
      expect((await get('/items', token)).status).to.equal(200);
      const bad = {
        garbage: 'garbage',
        huge: 'A'.repeat(12 * 1024),
        truncated: token.slice(0, -3),
        flipped: flipped(token),
        'the token twice': token + token,
      };
      for (const [what, value] of Object.entries(bad)) {
        const res = await get('/items', value);
        expect(res.status, what).to.equal(401);
        expect(res.body, what).to.deep.equal({ code: 'UNAUTHORIZED', message: res.body.message });
        expect(res.headers['www-authenticate'], what).to.equal('Bearer error="invalid_token"');
      }
    });
  });
}
