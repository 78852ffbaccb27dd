/**
 * Sessions: refresh tokens with rotation and reuse detection, the session list, and everything
 * that ends a session — over HTTP, on each store: SQLite and PostgreSQL (database strategy,
 * TypeORM session store) and Redis (Redis strategy, Redis session store).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { randomUUID } from 'crypto';
import { createClient, type RedisClientType } from 'redis';
import { JsonController } from 'routing-controllers';
import request from 'supertest';
import {
  AccessToken,
  AuthenticationBackend,
  AuthSession,
  BearerTransport,
  DatabaseStrategy,
  RedisSessionStore,
  RedisStrategy,
  RefreshToken,
  ResetPasswordController,
  SessionsController,
  TypeOrmSessionStore,
  UserManager,
  UsersController,
  type AuthEvent,
  type SessionInfo,
  type Strategy,
} from '../../src';
import { digestToken } from '../../src/strategies/opaque-token';
import { buildApp, createUser, PASSWORD, type TestApp, User } from '../support/app';
import { accessStatus, loginPair, refreshWith, sleep } from '../support/sessions';

/** Wide enough that two back-to-back requests fall within it on a busy machine. */
const INTERVAL_SECONDS = 2;
const SHORT_SESSION_SECONDS = 2;

/** Records the session hooks. */
class RecordingManager extends UserManager<User> {
  static refreshed: { user: string; session: SessionInfo }[] = [];
  static revoked: { user: string; session: SessionInfo }[] = [];
  onAfterRefresh(user: User, session: SessionInfo) {
    RecordingManager.refreshed.push({ user: user.id, session });
  }
  onAfterSessionRevoked(user: User, session: SessionInfo) {
    RecordingManager.revoked.push({ user: user.id, session });
  }
}

interface StoreCase {
  name: string;
  kind: 'sqlite' | 'postgres' | 'redis';
}

const CASES: StoreCase[] = [
  { name: 'SQLite (database strategy, TypeORM session store)', kind: 'sqlite' },
  { name: 'PostgreSQL (database strategy, TypeORM session store)', kind: 'postgres' },
  { name: 'Redis (Redis strategy, Redis session store)', kind: 'redis' },
];

for (const storeCase of CASES) {
  describe(`sessions on ${storeCase.name}`, function () {
    this.timeout(30_000);
    let t: TestApp;
    let redis: RedisClientType | undefined;
    const redisPrefix = `rcauth-sessions-test:${randomUUID()}:`;
    const events: AuthEvent[] = [];

    const strategy = (): Strategy =>
      storeCase.kind === 'redis'
        ? new RedisStrategy({ redis: redis!, lifetimeSeconds: 3600, keyPrefix: redisPrefix })
        : new DatabaseStrategy({ lifetimeSeconds: 3600 });
    const bearer = (name: string) => new BearerTransport({ tokenUrl: `/auth/${name}/login` });

    before(async () => {
      if (storeCase.kind === 'redis') {
        redis = createClient({ url: process.env.TEST_REDIS_URL });
        redis.on('error', () => undefined);
        await redis.connect();
      }
      @JsonController('/auth/sessions')
      class Sessions extends SessionsController<User> {}
      @JsonController('/users')
      class Users extends UsersController<User> {}
      @JsonController('/auth')
      class Reset extends ResetPasswordController {}
      t = await buildApp({
        dataSourceKind: storeCase.kind === 'postgres' ? 'postgres' : 'sqlite',
        userManager: RecordingManager,
        onEvent: (event) => events.push(event),
        extraControllers: [Sessions, Users, Reset],
        backends: [
          new AuthenticationBackend({ name: 'r', transport: bearer('r'), strategy: strategy(), refresh: { lifetimeSeconds: 3600 } }),
          new AuthenticationBackend({ name: 'ri', transport: bearer('ri'), strategy: strategy(), refresh: { reuseIntervalSeconds: INTERVAL_SECONDS } }),
          new AuthenticationBackend({ name: 'rs', transport: bearer('rs'), strategy: strategy(), refresh: { lifetimeSeconds: SHORT_SESSION_SECONDS } }),
          new AuthenticationBackend({ name: 'plain', transport: bearer('plain'), strategy: strategy() }),
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
      email = `s-${randomUUID()}@example.com`;
      user = await createUser(t.auth, { email, scopes: ['items:read', 'items:write'] });
      events.length = 0;
    });

    const reuseEvents = () => events.filter((e): e is Extract<AuthEvent, { type: 'refresh.reuse_detected' }> => e.type === 'refresh.reuse_detected');

    it('uses the store the strategy suggests, one per client or DataSource', () => {
      const stores = t.auth.backends.filter((b) => b.refresh).map((b) => b.refresh!.store);
      expect(new Set(stores).size).to.equal(1);
      expect(stores[0]).to.be.instanceOf(storeCase.kind === 'redis' ? RedisSessionStore : TypeOrmSessionStore);
    });

    it('login answers access_token, token_type, expires_in and refresh_token; the access token names its session', async () => {
      const res = await request(t.app).post('/auth/r/login').type('form').send({ username: email, password: PASSWORD });
      expect(res.status).to.equal(200);
      expect(Object.keys(res.body).sort()).to.deep.equal(['access_token', 'expires_in', 'refresh_token', 'token_type']);
      expect(res.body.token_type).to.equal('bearer');
      expect(res.body.expires_in).to.equal(3600);
      expect(res.body.refresh_token).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(res.headers['cache-control']).to.equal('no-store');
      const grant = await t.auth.backends[0].strategy.read(res.body.access_token);
      const [session] = await t.auth.sessions.listForUser(user.id);
      expect(grant).to.deep.include({ userId: user.id, sessionId: session.id });
      expect(session).to.deep.include({ userId: user.id, backend: 'r' });
      expect(session.ip).to.be.a('string').and.not.equal('');
      expect(await accessStatus(t.app, res.body.access_token)).to.equal(200);
    });

    it('a backend without refresh answers login as before and has no refresh route', async () => {
      const res = await request(t.app).post('/auth/plain/login').type('form').send({ username: email, password: PASSWORD });
      expect(Object.keys(res.body).sort()).to.deep.equal(['access_token', 'token_type']);
      expect(await t.auth.sessions.listForUser(user.id)).to.deep.equal([]);
      const refresh = await refreshWith(t.app, 'plain', res.body.access_token);
      expect(refresh.status).to.equal(404);
      expect(refresh.body.code).to.equal('NOT_FOUND');
    });

    it('refresh rotates: a new pair, the old refresh token used up, the absolute expiry unchanged', async () => {
      const first = await loginPair(t.app, 'r', email);
      const [before] = await t.auth.sessions.listForUser(user.id);
      const res = await refreshWith(t.app, 'r', first.refresh);
      expect(res.status).to.equal(200);
      expect(res.body.refresh_token).to.not.equal(first.refresh);
      expect(res.body.access_token).to.not.equal(first.access);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(await accessStatus(t.app, res.body.access_token)).to.equal(200);
      const [after] = await t.auth.sessions.listForUser(user.id);
      expect(after.id).to.equal(before.id);
      expect(after.expiresAt.getTime()).to.equal(before.expiresAt.getTime());
      expect(after.lastUsedAt.getTime()).to.be.at.least(before.lastUsedAt.getTime());
      expect(RecordingManager.refreshed.at(-1)).to.deep.include({ user: user.id });
      expect(RecordingManager.refreshed.at(-1)!.session.id).to.equal(before.id);
    });

    it('(a) replay after the client rotated: refused, and the live successor dies with the session', async () => {
      const login = await loginPair(t.app, 'r', email);
      const client = await refreshWith(t.app, 'r', login.refresh);
      expect(client.status).to.equal(200);
      const replay = await refreshWith(t.app, 'r', login.refresh);
      expect(replay.status).to.equal(400);
      expect(replay.body).to.deep.equal({ code: 'REFRESH_TOKEN_INVALID', message: replay.body.message });
      expect((await refreshWith(t.app, 'r', client.body.refresh_token)).status, 'the successor dies').to.equal(400);
      expect(await accessStatus(t.app, client.body.access_token), 'its access token too').to.equal(401);
      expect(await accessStatus(t.app, login.access)).to.equal(401);
      const [event] = reuseEvents();
      expect(event).to.deep.include({ type: 'refresh.reuse_detected', userId: user.id, backend: 'r' });
      expect(event.sessionId).to.be.a('string');
      expect(event).to.have.property('ip');
      expect(JSON.stringify(events)).to.not.contain(login.refresh).and.not.contain(client.body.refresh_token);
      expect(await t.auth.sessions.listForUser(user.id)).to.deep.equal([]);
      expect(RecordingManager.revoked.at(-1)!.session.id).to.equal(event.sessionId);
    });

    it("(a) replay after the thief rotated: the client is refused, and the thief's successor dies", async () => {
      const login = await loginPair(t.app, 'r', email);
      const thief = await refreshWith(t.app, 'r', login.refresh);
      expect(thief.status).to.equal(200);
      expect((await refreshWith(t.app, 'r', login.refresh)).status).to.equal(400);
      expect((await refreshWith(t.app, 'r', thief.body.refresh_token)).status).to.equal(400);
      expect(await accessStatus(t.app, thief.body.access_token)).to.equal(401);
      expect(reuseEvents()).to.have.length(1);
    });

    it('(b) within the interval the previous token rotates once more, and the earlier successor stops working', async () => {
      const login = await loginPair(t.app, 'ri', email);
      const lost = await refreshWith(t.app, 'ri', login.refresh); // the response the client never got
      const retry = await refreshWith(t.app, 'ri', login.refresh);
      expect(lost.status).to.equal(200);
      expect(retry.status).to.equal(200);
      expect(reuseEvents()).to.deep.equal([]);
      // The retry's chain is the one live chain: it rotates on.
      const next = await refreshWith(t.app, 'ri', retry.body.refresh_token);
      expect(next.status).to.equal(200);
      // The earlier successor never works again.
      expect((await refreshWith(t.app, 'ri', lost.body.refresh_token)).status).to.equal(400);
    });

    it('(c) the grandparent within the interval is reuse', async () => {
      const login = await loginPair(t.app, 'ri', email);
      const child = await refreshWith(t.app, 'ri', login.refresh);
      const grandchild = await refreshWith(t.app, 'ri', child.body.refresh_token);
      expect(grandchild.status).to.equal(200);
      expect((await refreshWith(t.app, 'ri', login.refresh)).status).to.equal(400);
      expect(reuseEvents()).to.have.length(1);
      expect((await refreshWith(t.app, 'ri', grandchild.body.refresh_token)).status).to.equal(400);
      expect(await accessStatus(t.app, grandchild.body.access_token)).to.equal(401);
    });

    it('(d) after the interval, presenting the previous token is reuse (a retry within it does not restart it)', async () => {
      const login = await loginPair(t.app, 'ri', email);
      expect((await refreshWith(t.app, 'ri', login.refresh)).status).to.equal(200);
      const retried = await refreshWith(t.app, 'ri', login.refresh);
      expect(retried.status, 'a retry within the interval').to.equal(200);
      await sleep(INTERVAL_SECONDS * 1000 + 300);
      expect((await refreshWith(t.app, 'ri', login.refresh)).status).to.equal(400);
      expect(reuseEvents()).to.have.length(1);
      expect((await refreshWith(t.app, 'ri', retried.body.refresh_token)).status).to.equal(400);
    });

    it('(e) concurrent refreshes of one token (interval 0) give exactly one success', async () => {
      const login = await loginPair(t.app, 'r', email);
      const answers = await Promise.all(Array.from({ length: 8 }, () => refreshWith(t.app, 'r', login.refresh)));
      const statuses = answers.map((a) => a.status).sort();
      expect(
        statuses.filter((s) => s === 200),
        JSON.stringify(statuses),
      ).to.have.length(1);
      expect(statuses.filter((s) => s === 400)).to.have.length(7);
      // The others were reuse: the session is over, the winner's tokens with it.
      const winner = answers.find((a) => a.status === 200)!;
      expect((await refreshWith(t.app, 'r', winner.body.refresh_token)).status).to.equal(400);
      expect(await accessStatus(t.app, winner.body.access_token)).to.equal(401);
    });

    it('(f) a session revoked while a refresh of it runs leaves nothing live', async () => {
      for (let round = 0; round < 6; round++) {
        const login = await loginPair(t.app, 'r', email);
        const [session] = (await t.auth.sessions.listForUser(user.id)).filter((s) => s.backend === 'r');
        const [refreshed, deleted] = await Promise.all([
          refreshWith(t.app, 'r', login.refresh),
          (async () => {
            await sleep(round); // a little earlier or later each round
            return request(t.app).delete(`/auth/sessions/${session.id}`).set('Authorization', `Bearer ${login.access}`);
          })(),
        ]);
        expect(deleted.status, `round ${round}: ${JSON.stringify(deleted.body)}`).to.equal(204);
        if (refreshed.status === 200) {
          expect(await accessStatus(t.app, refreshed.body.access_token), `round ${round}`).to.equal(401);
          expect((await refreshWith(t.app, 'r', refreshed.body.refresh_token)).status).to.equal(400);
        } else {
          expect(refreshed.status).to.equal(400);
        }
        expect(await accessStatus(t.app, login.access)).to.equal(401);
        expect(await t.auth.sessions.listForUser(user.id)).to.deep.equal([]);
      }
    });

    it('(g) descendants of a revoked session fail', async () => {
      const login = await loginPair(t.app, 'r', email);
      const child = await refreshWith(t.app, 'r', login.refresh);
      const [session] = await t.auth.sessions.listForUser(user.id);
      expect(await t.auth.sessions.end(session.id)).to.deep.include({ id: session.id });
      expect((await refreshWith(t.app, 'r', child.body.refresh_token)).status).to.equal(400);
      expect((await refreshWith(t.app, 'r', login.refresh)).status).to.equal(400);
      expect(await accessStatus(t.app, child.body.access_token)).to.equal(401);
    });

    it('(h) absolute lifetime: rotation never extends it', async () => {
      const login = await loginPair(t.app, 'rs', email);
      const [session] = await t.auth.sessions.listForUser(user.id);
      await sleep(300);
      const child = await refreshWith(t.app, 'rs', login.refresh);
      expect(child.status).to.equal(200);
      const [rotated] = await t.auth.sessions.listForUser(user.id);
      expect(rotated.expiresAt.getTime()).to.equal(session.expiresAt.getTime());
      await sleep(SHORT_SESSION_SECONDS * 1000);
      const late = await refreshWith(t.app, 'rs', child.body.refresh_token);
      expect(late.status).to.equal(400);
      expect(late.body.code).to.equal('REFRESH_TOKEN_INVALID');
      expect(await t.auth.sessions.listForUser(user.id)).to.deep.equal([]);
    });

    it('(i) logout ends the session: its refresh token and access tokens are refused', async () => {
      const login = await loginPair(t.app, 'r', email);
      const other = await loginPair(t.app, 'r', email);
      const out = await request(t.app).post('/auth/r/logout').set('Authorization', `Bearer ${login.access}`);
      expect(out.status).to.equal(204);
      expect((await refreshWith(t.app, 'r', login.refresh)).status).to.equal(400);
      expect(await accessStatus(t.app, login.access)).to.equal(401);
      // The other login is another session and lives on.
      expect((await refreshWith(t.app, 'r', other.refresh)).status).to.equal(200);
      expect(RecordingManager.revoked.at(-1)!.user).to.equal(user.id);
    });

    it('(i) a password reset, deactivation, deletion and revokeAllTokens end every session', async () => {
      const endings: [string, () => Promise<unknown>][] = [
        [
          'password reset',
          async () => {
            const token = await t.auth.userManager.forgotPassword(user);
            const res = await request(t.app).post('/auth/reset-password').send({ token, password: 'a brand new passphrase 77' });
            expect(res.status).to.equal(200);
          },
        ],
        ['deactivation', () => t.auth.userManager.update(user, { isActive: false }, { safe: false })],
        ['deletion', () => t.auth.userManager.delete(user)],
        ['revokeAllTokens', () => t.auth.revokeAllTokens(user.id)],
      ];
      for (const [what, end] of endings) {
        email = `s-${randomUUID()}@example.com`;
        user = await createUser(t.auth, { email });
        const a = await loginPair(t.app, 'r', email);
        const b = await loginPair(t.app, 'ri', email);
        await end();
        for (const pair of [a, b]) {
          expect(await accessStatus(t.app, pair.access), what).to.equal(401);
          expect((await refreshWith(t.app, pair === a ? 'r' : 'ri', pair.refresh)).status, what).to.equal(400);
        }
        expect(await t.auth.sessions.listForUser(user.id), what).to.deep.equal([]);
      }
    });

    it("refuses a refresh for a user deactivated or deleted behind the library's back, and ends that session", async () => {
      const login = await loginPair(t.app, 'r', email);
      await t.dataSource.getRepository(User).update({ id: user.id }, { isActive: false });
      const refused = await refreshWith(t.app, 'r', login.refresh);
      expect(refused.status).to.equal(400);
      expect(refused.body.code).to.equal('REFRESH_TOKEN_INVALID');
      await t.dataSource.getRepository(User).update({ id: user.id }, { isActive: true });
      expect((await refreshWith(t.app, 'r', login.refresh)).status, 'the session ended with the refusal').to.equal(400);

      const again = await loginPair(t.app, 'r', email);
      await t.dataSource.getRepository(User).delete({ id: user.id });
      expect((await refreshWith(t.app, 'r', again.refresh)).status).to.equal(400);
      expect(await t.auth.sessions.listForUser(user.id)).to.deep.equal([]);
    });

    it('(i) a password change through PATCH /me ends every other session and keeps this one', async () => {
      const current = await loginPair(t.app, 'r', email);
      const other = await loginPair(t.app, 'ri', email);
      const res = await request(t.app)
        .patch('/users/me')
        .set('Authorization', `Bearer ${current.access}`)
        .send({ password: 'another fine passphrase 31', currentPassword: PASSWORD });
      expect(res.status).to.equal(200);
      expect(await accessStatus(t.app, other.access)).to.equal(401);
      expect((await refreshWith(t.app, 'ri', other.refresh)).status).to.equal(400);
      expect(await accessStatus(t.app, current.access)).to.equal(200);
      expect((await refreshWith(t.app, 'r', current.refresh)).status).to.equal(200);
      expect((await t.auth.sessions.listForUser(user.id)).map((s) => s.backend)).to.deep.equal(['r']);
    });

    it("(j) an access token, another backend's refresh token and a wider scope are refused without using the token up", async () => {
      const login = await loginPair(t.app, 'r', email, 'items:read');
      const plain = await request(t.app).post('/auth/plain/login').type('form').send({ username: email, password: PASSWORD });
      for (const token of [login.access, plain.body.access_token]) {
        const res = await refreshWith(t.app, 'r', token);
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('REFRESH_TOKEN_INVALID');
      }
      expect((await refreshWith(t.app, 'ri', login.refresh)).status, "another backend's token").to.equal(400);
      const wider = await refreshWith(t.app, 'r', login.refresh, 'items:read items:write');
      expect(wider.status).to.equal(400);
      expect(wider.body.code).to.equal('REFRESH_TOKEN_INVALID');
      expect(reuseEvents()).to.deep.equal([]);
      // Still the live token: none of the refusals used it up.
      const narrower = await refreshWith(t.app, 'r', login.refresh, 'items:read');
      expect(narrower.status).to.equal(200);
      const grant = await t.auth.backends[0].strategy.read(narrower.body.access_token);
      expect(grant).to.deep.include({ scopes: ['items:read'] });
    });

    it('refuses malformed refresh requests with 400 and a code, never 500', async () => {
      const login = await loginPair(t.app, 'r', email);
      const cases: [object | string, string][] = [
        [{ refresh_token: login.refresh }, 'VALIDATION_ERROR'], // grant_type missing
        [{ grant_type: 'password', refresh_token: login.refresh }, 'VALIDATION_ERROR'],
        [{ grant_type: 'refresh_token', refresh_token: 'x'.repeat(5000) }, 'VALIDATION_ERROR'],
        [{ grant_type: 'refresh_token', refresh_token: ['a', 'b'] }, 'VALIDATION_ERROR'],
        [{ grant_type: 'refresh_token' }, 'REFRESH_TOKEN_INVALID'],
        [{ grant_type: 'refresh_token', refresh_token: '' }, 'REFRESH_TOKEN_INVALID'],
        [{ grant_type: 'refresh_token', refresh_token: `${login.refresh.slice(0, 42)}!` }, 'REFRESH_TOKEN_INVALID'],
        [{ grant_type: 'refresh_token', refresh_token: login.refresh.slice(0, 20) }, 'REFRESH_TOKEN_INVALID'],
        [{}, 'REFRESH_TOKEN_INVALID'],
      ];
      for (const [body, code] of cases) {
        const res = await request(t.app).post('/auth/r/refresh').send(body);
        expect(res.status, JSON.stringify(body).slice(0, 80)).to.equal(400);
        expect(res.body.code, JSON.stringify(body).slice(0, 80)).to.equal(code);
      }
      const bad = await request(t.app).post('/auth/r/refresh').set('Content-Type', 'application/json').send('{"grant_type":');
      expect(bad.status).to.equal(400);
      // JSON works as well as the form, and nothing above used the token up.
      const json = await request(t.app).post('/auth/r/refresh').send({ grant_type: 'refresh_token', refresh_token: login.refresh });
      expect(json.status).to.equal(200);
    });

    it('GET /auth/sessions lists the live sessions and marks the current one; DELETE ends one or all others', async () => {
      const a = await loginPair(t.app, 'r', email);
      const b = await request(t.app).post('/auth/ri/login').set('User-Agent', 'TestBrowser/1.0').type('form').send({ username: email, password: PASSWORD });
      const c = await loginPair(t.app, 'r', email);
      const list = await request(t.app).get('/auth/sessions').set('Authorization', `Bearer ${a.access}`);
      expect(list.status).to.equal(200);
      expect(list.body).to.have.length(3);
      for (const entry of list.body) {
        expect(Object.keys(entry).sort()).to.deep.equal(['backend', 'createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent']);
      }
      expect(list.body.filter((s: any) => s.current)).to.have.length(1);
      const mine = list.body.find((s: any) => s.current);
      expect(mine.backend).to.equal('r');
      expect(list.body.find((s: any) => s.userAgent === 'TestBrowser/1.0').backend).to.equal('ri');
      expect(new Date(mine.expiresAt).getTime()).to.be.greaterThan(Date.now());

      // Someone else's session, a made-up id and a malformed one: 404 alike.
      const stranger = `x-${randomUUID()}@example.com`;
      await createUser(t.auth, { email: stranger });
      const strangerLogin = await loginPair(t.app, 'r', stranger);
      const [strangerSession] = await t.auth.sessions.listForUser((await t.auth.userManager.getByEmail(stranger))!.id);
      for (const id of [strangerSession.id, randomUUID(), 'not-an-id', 'x'.repeat(300)]) {
        const res = await request(t.app).delete(`/auth/sessions/${id}`).set('Authorization', `Bearer ${a.access}`);
        expect(res.status, id).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
      }
      expect((await refreshWith(t.app, 'r', strangerLogin.refresh)).status).to.equal(200);

      const other = list.body.find((s: any) => !s.current && s.backend === 'ri');
      expect((await request(t.app).delete(`/auth/sessions/${other.id}`).set('Authorization', `Bearer ${a.access}`)).status).to.equal(204);
      expect((await refreshWith(t.app, 'ri', b.body.refresh_token)).status).to.equal(400);
      expect(await accessStatus(t.app, b.body.access_token)).to.equal(401);

      expect((await request(t.app).delete('/auth/sessions').set('Authorization', `Bearer ${a.access}`)).status).to.equal(204);
      expect(await accessStatus(t.app, c.access)).to.equal(401);
      expect(await accessStatus(t.app, a.access)).to.equal(200);
      const left = await request(t.app).get('/auth/sessions').set('Authorization', `Bearer ${a.access}`);
      expect(left.body.map((s: any) => s.id)).to.deep.equal([mine.id]);

      expect((await request(t.app).get('/auth/sessions')).status).to.equal(401);
    });

    it('stores digests only: no refresh or access token appears in the store', async () => {
      const login = await loginPair(t.app, 'r', email);
      const child = await refreshWith(t.app, 'r', login.refresh);
      const secrets = [login.refresh, login.access, child.body.refresh_token, child.body.access_token];
      let dump: string;
      if (storeCase.kind === 'redis') {
        const keys = [...(await redis!.keys('routing-controllers-auth:session:*')), ...(await redis!.keys(`${redisPrefix}*`))];
        const values = await Promise.all(
          keys.map(async (key) => {
            const type = await redis!.type(key);
            return type === 'hash' ? redis!.hGetAll(key) : type === 'set' ? redis!.sMembers(key) : redis!.get(key);
          }),
        );
        dump = JSON.stringify([keys, values]);
        expect(dump).to.contain(digestToken(child.body.refresh_token));
      } else {
        const rows = await Promise.all([AuthSession, RefreshToken, AccessToken].map((entity) => t.dataSource.getRepository(entity).find()));
        dump = JSON.stringify(rows);
        expect(dump).to.contain(digestToken(login.refresh)).and.contain(digestToken(child.body.refresh_token));
      }
      for (const secret of secrets) expect(dump).to.not.contain(secret);
    });

    it('answers any refresh body (form or JSON, any fields) with a 4xx and a code, never a 5xx, and never uses a token up', async () => {
      const login = await loginPair(t.app, 'r', email);
      const value = fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.constant(login.access),
        fc.constant(login.refresh.slice(1)),
        fc.integer(),
        fc.constant(null),
        fc.array(fc.string(), { maxLength: 3 }),
      );
      const body = fc.record({ grant_type: fc.oneof(fc.constant('refresh_token'), value), refresh_token: value, scope: value }, { requiredKeys: [] });
      await fc.assert(
        fc.asyncProperty(body, fc.boolean(), async (fields, asForm) => {
          const req = request(t.app).post('/auth/r/refresh');
          const res = asForm
            ? await req.type('form').send(new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)] as [string, string])).toString())
            : await req.send(fields);
          expect(res.status, JSON.stringify(fields)).to.be.within(400, 499);
          expect(res.body.code, JSON.stringify(fields)).to.be.a('string');
        }),
        { numRuns: 60, seed: 12 },
      );
      expect(reuseEvents()).to.deep.equal([]);
      expect((await refreshWith(t.app, 'r', login.refresh)).status).to.equal(200);
    });

    if (storeCase.kind !== 'redis') {
      it('purgeExpired deletes expired sessions and refresh tokens, and only those', async () => {
        const short = await loginPair(t.app, 'rs', email);
        const long = await loginPair(t.app, 'r', email);
        await refreshWith(t.app, 'rs', short.refresh);
        const purged = await t.auth.sessions.purgeExpired(new Date(Date.now() + SHORT_SESSION_SECONDS * 1000 + 1000));
        expect(purged).to.be.at.least(3); // the session and its two refresh token digests (others' may go too)
        expect((await t.auth.sessions.listForUser(user.id)).map((s) => s.backend)).to.deep.equal(['r']);
        expect((await refreshWith(t.app, 'r', long.refresh)).status).to.equal(200);
      });
    }
  });
}
