/**
 * routing-controllers-auth/testing's helpers, used as an app's tests use them: users made with
 * `createTestUser` and clients signed in with `signedInHeaders`, over HTTP through a real app on
 * each driver.
 */
import { expect } from 'chai';
import { Authorized, CurrentUser, Get, JsonController } from 'routing-controllers';
import request from 'supertest';
import {
  Argon2PasswordHasher,
  AuthenticationBackend,
  DatabaseStrategy,
  type HttpExchange,
  type LoginResponseBody,
  type PasswordHasher,
  type Transport,
  UserAlreadyExistsError,
} from '../../src';
import { createTestUser, signedInHeaders, TEST_PASSWORD } from '../../src/testing';
import { buildApp, defaultBackends, type TestApp, User } from '../support/app';

/** The library's argon2 hasher, counting the hashes it makes (composition: the helper caches per instance). */
class CountingHasher implements PasswordHasher {
  hashes = 0;
  private readonly inner = new Argon2PasswordHasher();
  hash(password: string) {
    this.hashes++;
    return this.inner.hash(password);
  }
  verify(password: string, hashed: string) {
    return this.inner.verify(password, hashed);
  }
  burn(password: string) {
    return this.inner.burn(password);
  }
}

/** A transport of the app's own: the token in an `X-Api-Key` header, handed out in one at login. */
class ApiKeyTransport implements Transport {
  readonly scheme = 'api-key';
  readToken(exchange: HttpExchange): string | undefined {
    return exchange.header('x-api-key');
  }
  loginResponse(token: string, exchange: HttpExchange): LoginResponseBody {
    exchange.rawResponse.setHeader('X-Api-Key', token);
    return null;
  }
  logoutResponse(): void {}
}

/** A transport whose login answer holds the token where its `readToken` never looks. */
class WriteOnlyTransport implements Transport {
  readonly scheme = 'write-only';
  readToken(): string | undefined {
    return undefined;
  }
  loginResponse(token: string): LoginResponseBody {
    return { token };
  }
  logoutResponse(): void {}
}

const MAX_AGE = 60;

@JsonController('/sensitive')
class SensitiveController {
  @Authorized({ maxAgeSeconds: MAX_AGE })
  @Get('/recent')
  recent(@CurrentUser() user: User) {
    return { email: user.email };
  }
}

function login(app: any, email: string, password: string) {
  return request(app).post('/auth/jwt/login').type('form').send({ username: email, password });
}

describe('routing-controllers-auth/testing helpers, over HTTP', function () {
  this.timeout(30_000);
  let t: TestApp;
  const hasher = new CountingHasher();

  before(async () => {
    t = await buildApp({
      passwordHasher: hasher,
      extraControllers: [SensitiveController],
      backends: [
        ...defaultBackends(),
        new AuthenticationBackend({ name: 'apikey', transport: new ApiKeyTransport(), strategy: new DatabaseStrategy() }),
        new AuthenticationBackend({ name: 'write-only', transport: new WriteOnlyTransport(), strategy: new DatabaseStrategy() }),
      ],
    });
  });
  after(() => t?.close());

  describe('createTestUser', () => {
    it('stores users with fresh unique emails, hashing their one password once', async () => {
      const before = hasher.hashes;
      const users = await Promise.all(Array.from({ length: 10 }, () => createTestUser(t.auth)));
      expect(new Set(users.map((u) => u.email)).size).to.equal(10);
      for (const user of users) expect(await t.auth.userManager.get(user.id)).to.include({ email: user.email, isActive: true });
      expect(hasher.hashes - before).to.be.at.most(1);
      expect(new Set(users.map((u) => u.hashedPassword)).size).to.equal(1);
    });

    it('takes the fields as given (protected ones too) and stores the email lower-cased', async () => {
      const user = await createTestUser(t.auth, {
        email: 'Ada.Lovelace@Example.COM',
        isSuperuser: true,
        isVerified: true,
        scopes: ['items:write'],
        displayName: 'Ada',
      });
      const stored = await t.auth.userManager.get(user.id);
      expect(stored).to.include({ email: 'ada.lovelace@example.com', isSuperuser: true, isVerified: true, displayName: 'Ada' });
      expect(stored!.scopes).to.deep.equal(['items:write']);
    });

    it("logs in for real with its password: the reused hash verifies with the app's hasher", async () => {
      const user = await createTestUser(t.auth);
      const ok = await login(t.app, user.email, TEST_PASSWORD);
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      expect((await request(t.app).get('/items').set('Authorization', `Bearer ${ok.body.access_token}`)).body).to.deep.equal({ owner: user.email });
      const wrong = await login(t.app, user.email, 'not-the-password-0123456789');
      expect(wrong.status).to.equal(400);
      expect(wrong.body.code).to.equal('LOGIN_BAD_CREDENTIALS');
    });

    it('hashes another password once more, and that one logs in too', async () => {
      const password = 'another-test-password-9876543210-zyxw';
      const before = hasher.hashes;
      const [first, second] = [await createTestUser(t.auth, { password }), await createTestUser(t.auth, { password })];
      expect(hasher.hashes - before).to.equal(1);
      expect(second.hashedPassword).to.equal(first.hashedPassword);
      expect((await login(t.app, second.email, password)).status).to.equal(200);
    });

    it('with the default argon2 hasher, a password is hashed once for every app of the process', async () => {
      const [one, two] = [await buildApp(), await buildApp()];
      try {
        const [a, b] = [await createTestUser(one.auth), await createTestUser(two.auth)];
        expect(b.hashedPassword).to.equal(a.hashedPassword);
        expect((await login(two.app, b.email, TEST_PASSWORD)).status).to.equal(200);
      } finally {
        await Promise.all([one.close(), two.close()]);
      }
    });

    it('refuses a second user with a taken email (any case) as the user store does', async () => {
      const user = await createTestUser(t.auth);
      const failure = await createTestUser(t.auth, { email: user.email.toUpperCase() }).catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(UserAlreadyExistsError);
    });
  });

  describe('signedInHeaders', () => {
    it('answers a Bearer header for a bearer backend and a Cookie for the cookie backend, each opening protected routes', async () => {
      const user = await createTestUser(t.auth);
      const jwt = await signedInHeaders(t.auth, user);
      expect(Object.keys(jwt)).to.deep.equal(['Authorization']);
      expect(jwt.Authorization).to.match(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      const db = await signedInHeaders(t.auth, user, { backend: 'db' });
      expect(db.Authorization).to.match(/^Bearer [A-Za-z0-9_-]{43}$/);
      const cookie = await signedInHeaders(t.auth, user, { backend: 'cookie' });
      expect(Object.keys(cookie)).to.deep.equal(['Cookie']);
      expect(cookie.Cookie).to.match(/^rcauth=[A-Za-z0-9_-]{43}$/);
      for (const headers of [jwt, db, cookie]) {
        const items = await request(t.app).get('/items').set(headers);
        expect(items.status, JSON.stringify(headers)).to.equal(200);
        expect(items.body).to.deep.equal({ owner: user.email });
        expect((await request(t.app).post('/items').set(headers)).status, `an unsafe request with ${Object.keys(headers)[0]}`).to.equal(201);
      }
    });

    it("grants the user's scopes by default, and only those asked for with `scopes`", async () => {
      const user = await createTestUser(t.auth, { scopes: ['items:read', 'items:write'] });
      expect(
        (
          await request(t.app)
            .get('/items/both')
            .set(await signedInHeaders(t.auth, user, { backend: 'db' }))
        ).status,
      ).to.equal(200);
      const narrow = await signedInHeaders(t.auth, user, { backend: 'db', scopes: ['items:write'] });
      expect((await request(t.app).get('/items/admin').set(narrow)).status).to.equal(200);
      const refused = await request(t.app).get('/items/both').set(narrow);
      expect(refused.status).to.equal(403);
      expect(refused.body.code).to.equal('INSUFFICIENT_SCOPE');
    });

    it('stands for a fresh password sign-in by default (step-up routes pass); an old or absent sign-in is asked to re-authenticate', async () => {
      const user = await createTestUser(t.auth);
      for (const backend of ['jwt', 'db', 'cookie']) {
        const fresh = await request(t.app)
          .get('/sensitive/recent')
          .set(await signedInHeaders(t.auth, user, { backend }));
        expect(fresh.status, `${backend}: ${JSON.stringify(fresh.body)}`).to.equal(200);
      }
      const token = (await signedInHeaders(t.auth, user, { backend: 'db' })).Authorization.slice('Bearer '.length);
      const grant = await t.auth.getBackend('db').strategy.read(token);
      expect(grant).to.deep.include({ userId: user.id, amr: ['pwd'] });
      expect(Date.now() - (grant as { authTime: Date }).authTime.getTime()).to.be.within(0, 5000);
      const old = await request(t.app)
        .get('/sensitive/recent')
        .set(await signedInHeaders(t.auth, user, { authTime: new Date(Date.now() - 10 * 60_000) }));
      expect(old.status).to.equal(401);
      expect(old.body.code).to.equal('REAUTHENTICATION_REQUIRED');
      const none = await request(t.app)
        .get('/sensitive/recent')
        .set(await signedInHeaders(t.auth, user, { authTime: null }));
      expect(none.body.code).to.equal('REAUTHENTICATION_REQUIRED');
      expect(
        (
          await request(t.app)
            .get('/items')
            .set(await signedInHeaders(t.auth, user, { authTime: null }))
        ).status,
      ).to.equal(200);
    });

    it("works with a transport of the app's own, reading back the header its login response set", async () => {
      const user = await createTestUser(t.auth);
      const headers = await signedInHeaders(t.auth, user, { backend: 'apikey' });
      expect(Object.keys(headers)).to.deep.equal(['x-api-key']);
      const items = await request(t.app).get('/items').set(headers);
      expect(items.status).to.equal(200);
      expect(items.body).to.deep.equal({ owner: user.email });
    });

    it('refuses, naming the backend, a transport whose login answer its own readToken cannot find again', async () => {
      const user = await createTestUser(t.auth);
      const failure = await signedInHeaders(t.auth, user, { backend: 'write-only' }).catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(Error);
      expect((failure as Error).message)
        .to.contain('"write-only" backend')
        .and.contain('readToken');
    });

    it('a lifetime it is given expires the headers like any token', async () => {
      const user = await createTestUser(t.auth);
      const expired = await signedInHeaders(t.auth, user, { backend: 'db', lifetimeSeconds: -1 });
      const res = await request(t.app).get('/items').set(expired);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
    });
  });
});
