/**
 * API keys over HTTP, on each store (SQLite, PostgreSQL, Redis): made once and shown once, used
 * as a bearer token or in `X-API-Key`, never more than their owner has now, and refused — with
 * API_KEY_INVALID or API_KEY_EXPIRED — for every way a key can be wrong. A key is no session: the
 * session-only routes, logout, refresh and step-up checks refuse it.
 */
import { expect } from 'chai';
import { createHash, randomUUID } from 'crypto';
import { createClient, type RedisClientType } from 'redis';
import { Authorized, CurrentUser, Get, JsonController } from 'routing-controllers';
import request from 'supertest';
import {
  ApiKeysController,
  ApiKeyStrategy,
  ApiKeyTransport,
  AuthenticationBackend,
  BearerTransport,
  GitHubProvider,
  JwtStrategy,
  OAuthController,
  PasskeyController,
  RedisApiKeyStore,
  TwoFactorController,
  SessionsController,
  UsersController,
  type ApiKeyStore,
} from '../../src';
import { buildApp, createUser, PASSWORD, SECRET, type TestApp, User } from '../support/app';
import { eventually } from '../support/eventually';
import { bearerToken } from '../support/http';

@JsonController('/api-keys')
class ApiKeys extends ApiKeysController<User> {}

@JsonController('/auth/sessions')
class Sessions extends SessionsController<User> {}

@JsonController('/users')
class Users extends UsersController<User> {}

@JsonController('/auth/github')
class GitHubLogin extends OAuthController<User> {
  constructor() {
    super(new GitHubProvider({ clientId: 'id', clientSecret: 'secret' }), 'jwt', { redirectUri: 'http://127.0.0.1/auth/github/callback' });
  }
}

@JsonController('/auth')
class TwoFactor extends TwoFactorController<User> {}

@JsonController('/auth/passkeys')
class Passkeys extends PasskeyController<User> {
  constructor() {
    super('jwt');
  }
}

@JsonController('/guarded')
class Guarded {
  @Authorized({ maxAgeSeconds: 300 })
  @Get('/recent')
  recent(@CurrentUser() user: User) {
    return { email: user.email };
  }

  @Authorized({ sessionOnly: true })
  @Get('/session')
  session(@CurrentUser() user: User) {
    return { email: user.email };
  }
}

const KEY_FORMAT = /^rca_[0-9A-Za-z]{43}_[0-9A-Za-z]{6}$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type StoreKind = 'sqlite' | 'postgres' | 'redis';

for (const kind of ['sqlite', 'postgres', 'redis'] as StoreKind[]) {
  describe(`API keys over HTTP (${kind})`, function () {
    this.timeout(60_000);
    let t: TestApp;
    let redis: RedisClientType | undefined;
    let strategy: ApiKeyStrategy;
    let session: string;
    let owner: User;

    const app = () => t.app;
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const makeKey = (token: string, body: Record<string, unknown>) =>
      request(app())
        .post('/api-keys')
        .set(bearer(token))
        .send({ name: 'ci', scopes: [], ...body });

    /** A fresh user with a fresh session (a password sign-in just now) and a key of theirs. */
    async function userWithKey(body: Record<string, unknown> = {}, scopes = ['items:write', 'items:read']) {
      const email = `${randomUUID()}@example.com`;
      const user = await createUser(t.auth, { email, scopes });
      const token = await bearerToken(app(), 'jwt', email);
      const res = await makeKey(token, body);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return { user, email, session: token, key: res.body.key as string, id: res.body.id as string };
    }

    before(async () => {
      let store: ApiKeyStore | undefined;
      if (kind === 'redis') {
        redis = createClient({ url: process.env.TEST_REDIS_URL });
        redis.on('error', () => undefined);
        await redis.connect();
        store = new RedisApiKeyStore({ redis, keyPrefix: `rcauth-api-keys-test:${randomUUID()}:` });
      }
      strategy = new ApiKeyStrategy({ store });
      t = await buildApp({
        dataSourceKind: kind === 'postgres' ? 'postgres' : 'sqlite',
        extraControllers: [ApiKeys, Sessions, Users, Guarded, GitHubLogin, TwoFactor, Passkeys],
        twoFactor: { issuer: 'api-keys test' },
        passkeys: { rpID: 'localhost', rpName: 'api-keys test', origins: ['http://localhost:3000'] },
        backends: [
          new AuthenticationBackend({
            name: 'jwt',
            transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
            strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }),
            refresh: {},
          }),
          new AuthenticationBackend({ name: 'key', transport: new ApiKeyTransport({ header: 'X-API-Key' }), strategy }),
        ],
      });
      await t.auth.ready({ controllers: [ApiKeys, Sessions, Users, Guarded] });
      owner = await createUser(t.auth, { email: `owner-${randomUUID()}@example.com`, scopes: ['items:write', 'items:read'] });
      session = await bearerToken(app(), 'jwt', owner.email);
    });

    after(async () => {
      await t?.close();
      await redis?.quit();
    });

    describe('making, listing and revoking keys', () => {
      it('makes a key in the rca_<random>_<crc32> format, shown once with Cache-Control: no-store; only its digest is stored', async () => {
        const res = await makeKey(session, { name: 'deploy', scopes: ['items:write'], expiresInDays: 30 });
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        expect(res.body.key).to.match(KEY_FORMAT);
        expect(res.headers['cache-control']).to.equal('no-store');
        expect(res.body).to.include({ name: 'deploy', userId: owner.id, start: res.body.key.slice(0, 8), lastUsedAt: null, allowedIps: null });
        expect(res.body.scopes).to.deep.equal(['items:write']);
        const days = (new Date(res.body.expiresAt).getTime() - Date.now()) / 86_400_000;
        expect(days).to.be.within(29.99, 30.01);
        expect(res.body).to.not.have.property('keyHash');

        const stored = await strategy.store.findByDigest(sha256(res.body.key));
        expect(stored?.id).to.equal(res.body.id);
        expect(JSON.stringify(stored)).to.not.include(res.body.key.slice(4, 47), 'the random part is not stored');
        if (kind !== 'redis') {
          const rows: Record<string, unknown>[] = await t.dataSource.query('SELECT * FROM api_key');
          for (const row of rows) expect(JSON.stringify(row)).to.not.include(res.body.key.slice(4, 47));
        }
      });

      it('lists the keys without key material, oldest first', async () => {
        const { session: own, id } = await userWithKey({ name: 'first' });
        await makeKey(own, { name: 'second' }).expect(201);
        const res = await request(app()).get('/api-keys').set(bearer(own)).expect(200);
        expect(res.body.map((k: { name: string }) => k.name)).to.deep.equal(['first', 'second']);
        expect(res.body[0].id).to.equal(id);
        for (const key of res.body) {
          expect(key).to.have.all.keys('id', 'userId', 'name', 'start', 'scopes', 'allowedIps', 'createdAt', 'expiresAt', 'lastUsedAt');
        }
      });

      it('needs the current password or a recent sign-in: a token without a sign-in gets 401, a wrong password 400', async () => {
        const user = await createUser(t.auth, { email: `${randomUUID()}@example.com` });
        const codeToken = await t.auth.createToken(user, { backend: 'jwt' }); // no authTime: no sign-in behind it
        const none = await makeKey(codeToken, {});
        expect(none.status).to.equal(401);
        expect(none.body.code).to.equal('REAUTHENTICATION_REQUIRED');
        const wrong = await makeKey(codeToken, { currentPassword: 'not the password at all' });
        expect(wrong.status).to.equal(400);
        expect(wrong.body.code).to.equal('CURRENT_PASSWORD_INVALID');
        const right = await makeKey(codeToken, { currentPassword: PASSWORD });
        expect(right.status).to.equal(201);
      });

      it('refuses a scope the owner lacks at creation: 400 API_KEY_SCOPE_NOT_ALLOWED', async () => {
        const res = await makeKey(session, { scopes: ['items:write', 'admin:everything'] });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('API_KEY_SCOPE_NOT_ALLOWED');
        expect(res.body.message).to.include('admin:everything');
        const superuser = await makeKey(session, { scopes: ['superuser'] });
        expect(superuser.body.code, 'superuser is a scope only superusers have').to.equal('API_KEY_SCOPE_NOT_ALLOWED');
      });

      it('refuses malformed bodies with 400 VALIDATION_ERROR (name, scopes, expiresInDays, allowedIps)', async () => {
        for (const body of [
          { name: '' },
          { name: 'x'.repeat(101) },
          { scopes: 'items:write' },
          { scopes: [42] },
          { expiresInDays: 0 },
          { expiresInDays: 1.5 },
          { expiresInDays: 100_000 },
          { allowedIps: ['not-an-ip'] },
          { allowedIps: ['10.0.0.0/33'] },
          { allowedIps: ['127.1'] },
          { allowedIps: Array.from({ length: 33 }, (_, i) => `10.0.0.${i}`) },
        ]) {
          const res = await makeKey(session, body);
          expect(res.status, JSON.stringify(body)).to.equal(400);
          expect(res.body.code, JSON.stringify(body)).to.equal('VALIDATION_ERROR');
        }
      });

      it("revokes a key (204); it stops at once; another user's key id answers 404 like an unknown one", async () => {
        const mine = await userWithKey();
        const other = await userWithKey();
        await request(app()).get('/items').set(bearer(mine.key)).expect(200);
        await request(app()).delete(`/api-keys/${other.id}`).set(bearer(mine.session)).expect(404);
        await request(app()).delete(`/api-keys/${randomUUID()}`).set(bearer(mine.session)).expect(404);
        await request(app()).get('/items').set(bearer(other.key)).expect(200);
        await request(app()).delete(`/api-keys/${mine.id}`).set(bearer(mine.session)).expect(204);
        const res = await request(app()).get('/items').set(bearer(mine.key));
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('API_KEY_INVALID');
        await request(app()).delete(`/api-keys/${mine.id}`).set(bearer(mine.session)).expect(404);
      });

      it("lets a superuser list and revoke any user's keys; a user asking for another's list gets 403", async () => {
        const target = await userWithKey();
        const admin = await createUser(t.auth, { email: `${randomUUID()}@example.com`, isSuperuser: true });
        const adminSession = await bearerToken(app(), 'jwt', admin.email);
        const list = await request(app()).get(`/api-keys?userId=${target.user.id}`).set(bearer(adminSession)).expect(200);
        expect(list.body.map((k: { id: string }) => k.id)).to.deep.equal([target.id]);
        const denied = await request(app()).get(`/api-keys?userId=${target.user.id}`).set(bearer(session));
        expect(denied.status).to.equal(403);
        expect(denied.body.code).to.equal('INSUFFICIENT_SCOPE');
        await request(app()).delete(`/api-keys/${target.id}`).set(bearer(adminSession)).expect(204);
        expect((await request(app()).get('/items').set(bearer(target.key))).body.code).to.equal('API_KEY_INVALID');
      });
    });

    describe('using a key', () => {
      it('authenticates as a bearer token and in X-API-Key; @Authorized(scopes) works unchanged', async () => {
        const { key, email } = await userWithKey({ scopes: ['items:write'] });
        expect((await request(app()).get('/items').set(bearer(key)).expect(200)).body).to.deep.equal({ owner: email });
        expect((await request(app()).get('/items').set('X-API-Key', key).expect(200)).body).to.deep.equal({ owner: email });
        await request(app()).get('/items/admin').set(bearer(key)).expect(200);
        const both = await request(app()).get('/items/both').set(bearer(key));
        expect(both.status, 'items:read was not given to the key').to.equal(403);
        expect(both.body.code).to.equal('INSUFFICIENT_SCOPE');
      });

      it('never grants more than the owner has now: a scope taken from the owner leaves the key at once', async () => {
        const { key, user } = await userWithKey({ scopes: ['items:write'] });
        await request(app()).get('/items/admin').set(bearer(key)).expect(200);
        await t.auth.userManager.update(user, { scopes: ['items:read'] }, { safe: false });
        const res = await request(app()).get('/items/admin').set(bearer(key));
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('INSUFFICIENT_SCOPE');
        await request(app()).get('/items').set(bearer(key)).expect(200);
      });

      it('writes lastUsedAt on use, at most once a minute (a second use does not move it)', async () => {
        const { key, id } = await userWithKey();
        await request(app()).get('/items').set(bearer(key)).expect(200);
        let first: string | null = null;
        await eventually(async () => {
          first = (await strategy.store.get(id))?.lastUsedAt?.toISOString() ?? null;
          return first !== null;
        }, 'lastUsedAt written');
        await new Promise((resolve) => setTimeout(resolve, 20));
        await request(app()).get('/items').set(bearer(key)).expect(200);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect((await strategy.store.get(id))?.lastUsedAt?.toISOString()).to.equal(first);
      });

      it('lets a key be used from its allowed ranges only (IPv4 and IPv6 CIDR)', async () => {
        const inside = await userWithKey({ allowedIps: ['127.0.0.0/8', '::1'] });
        await request(app()).get('/items').set(bearer(inside.key)).expect(200);
        const outside = await userWithKey({ allowedIps: ['10.1.2.0/24', '2001:db8::/32'] });
        const res = await request(app()).get('/items').set(bearer(outside.key));
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('API_KEY_INVALID');
        const listed = (await request(app()).get('/api-keys').set(bearer(outside.session))).body[0];
        expect(listed.allowedIps).to.deep.equal(['10.1.2.0/24', '2001:db8::/32']);
      });
    });

    describe('refusals', () => {
      const expectRefused = async (headers: Record<string, string>, code: string) => {
        const res = await request(app()).get('/items').set(headers);
        expect(res.status, JSON.stringify(res.body)).to.equal(401);
        expect(res.body.code).to.equal(code);
        expect(res.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
        return res;
      };

      it('a key with a wrong checksum: 401 API_KEY_INVALID', async () => {
        const { key } = await userWithKey();
        const last = key.at(-1) === 'A' ? 'B' : 'A';
        await expectRefused(bearer(key.slice(0, -1) + last), 'API_KEY_INVALID');
        // A changed random character breaks the checksum too.
        const flipped = key.slice(0, 10) + (key[10] === 'a' ? 'b' : 'a') + key.slice(11);
        await expectRefused({ 'X-API-Key': flipped }, 'API_KEY_INVALID');
      });

      it('an unknown key (well-formed, right checksum): 401 API_KEY_INVALID', async () => {
        await expectRefused(bearer(strategy.format.generate()), 'API_KEY_INVALID');
      });

      it('an expired key: 401 API_KEY_EXPIRED', async () => {
        const key = strategy.format.generate();
        const at = new Date(Date.now() - 2 * 86_400_000);
        await strategy.store.create({
          id: randomUUID(),
          keyHash: sha256(key),
          userId: owner.id,
          name: 'old',
          start: strategy.format.shown(key),
          scopes: [],
          allowedIps: null,
          createdAt: at,
          expiresAt: new Date(Date.now() - 1000),
          lastUsedAt: null,
        });
        await expectRefused(bearer(key), 'API_KEY_EXPIRED');
      });

      it('a deactivated owner: 401 API_KEY_INVALID at once (and the key works again once reactivated)', async () => {
        const { key, user } = await userWithKey();
        await request(app()).get('/items').set(bearer(key)).expect(200);
        await t.auth.userManager.update(user, { isActive: false }, { safe: false });
        await expectRefused(bearer(key), 'API_KEY_INVALID');
        await t.auth.userManager.update(user, { isActive: true }, { safe: false });
        await request(app()).get('/items').set(bearer(key)).expect(200);
      });

      it('a deleted owner: 401 API_KEY_INVALID at once', async () => {
        const { key, user } = await userWithKey();
        await request(app()).get('/items').set(bearer(key)).expect(200);
        await t.auth.userManager.delete(user);
        await expectRefused(bearer(key), 'API_KEY_INVALID');
      });

      it('garbage and oversized keys: 401 with a code, never a 500', async () => {
        await expectRefused({ 'X-API-Key': `rca_${'x'.repeat(8000)}` }, 'API_KEY_INVALID');
        await expectRefused({ 'X-API-Key': 'rca_short_AAAAAA' }, 'API_KEY_INVALID');
        await expectRefused(bearer('rca_\u00e9\u00e9'), 'API_KEY_INVALID');
        // Not a key at all (no `rca_`): the generic answer, as for any other refused token.
        await expectRefused({ 'X-API-Key': 'x'.repeat(8000) }, 'UNAUTHORIZED');
        await expectRefused(bearer('not.a.jwt'), 'UNAUTHORIZED');
      });
    });

    describe('a key is no session', () => {
      it('cannot reach the session-only routes: sessions, api-keys, logout, OAuth account linking, 2FA, passkeys, @Authorized({ sessionOnly }) (401 UNAUTHORIZED, RFC 9470 challenge)', async () => {
        const { key, id } = await userWithKey();
        for (const [method, path] of [
          ['get', '/auth/sessions'],
          ['delete', '/auth/sessions'],
          ['delete', `/auth/sessions/${randomUUID()}`],
          ['get', '/api-keys'],
          ['delete', `/api-keys/${id}`],
          ['post', '/auth/jwt/logout'],
          ['post', '/auth/key/logout'],
          ['get', '/guarded/session'],
          ['get', '/auth/github/associate/authorize'],
          ['get', '/auth/github/associate/callback?code=c&state=s'],
          ['get', '/auth/2fa'],
          ['post', '/auth/2fa/totp'],
          ['post', '/auth/2fa/totp/confirm'],
          ['delete', '/auth/2fa/totp'],
          ['post', '/auth/2fa/recovery-codes'],
          ['post', '/auth/passkeys/register/options'],
          ['post', '/auth/passkeys/register'],
          ['get', '/auth/passkeys'],
          ['patch', `/auth/passkeys/${randomUUID()}`],
          ['delete', `/auth/passkeys/${randomUUID()}`],
        ] as const) {
          const res = await request(app())[method](path).set(bearer(key));
          expect(res.status, `${method} ${path}`).to.equal(401);
          expect(res.body.code, `${method} ${path}`).to.equal('UNAUTHORIZED');
          expect(res.body.message).to.include('API key');
          expect(res.headers['www-authenticate']).to.include('error="insufficient_user_authentication"');
        }
        await request(app()).get('/items').set(bearer(key)).expect(200); // none of that revoked the key
        await request(app()).get('/guarded/session').set(bearer(session)).expect(200);
      });

      it('cannot make keys, even with the password', async () => {
        const { key } = await userWithKey();
        const res = await makeKey(key, { currentPassword: PASSWORD });
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('UNAUTHORIZED');
      });

      it('cannot change the password or the email, even with the current password', async () => {
        const { key, email } = await userWithKey();
        const password = await request(app()).patch('/users/me').set(bearer(key)).send({ password: 'a brand new passphrase 99', currentPassword: PASSWORD });
        expect(password.status).to.equal(401);
        expect(password.body.code).to.equal('UNAUTHORIZED');
        const mail = await request(app())
          .patch('/users/me')
          .set(bearer(key))
          .send({ email: `${randomUUID()}@example.com`, currentPassword: PASSWORD });
        expect(mail.status).to.equal(401);
        await request(app()).post('/auth/jwt/login').type('form').send({ username: email, password: PASSWORD }).expect(200);
      });

      it('never passes a step-up check: 401 REAUTHENTICATION_REQUIRED', async () => {
        const { key } = await userWithKey();
        const res = await request(app()).get('/guarded/recent').set(bearer(key));
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('REAUTHENTICATION_REQUIRED');
        await request(app()).get('/guarded/recent').set(bearer(session)).expect(200);
      });

      it('cannot refresh: a key is no refresh token', async () => {
        const { key } = await userWithKey();
        const res = await request(app()).post('/auth/jwt/refresh').type('form').send({ grant_type: 'refresh_token', refresh_token: key });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('REFRESH_TOKEN_INVALID');
      });
    });
  });
}
