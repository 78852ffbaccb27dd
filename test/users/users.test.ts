import { expect } from 'chai';
import request from 'supertest';
import { AccessToken, ForbiddenError } from '../../src';
import { buildApp, createUser, PASSWORD, User, type DataSourceKind, type TestApp } from '../support/app';
import { bearerToken, cookieFrom, login } from '../support/http';
import { capturingErrors, isExpressRequest, RecordingUserManager, userControllers } from '../support/user-routes';

const NEW_PASSWORD = 'a completely new passphrase';

describe('UsersController', () => {
  let t: TestApp;
  let manager: RecordingUserManager;
  let admin: User;
  let adminToken: string;

  before(async () => {
    t = await buildApp({ userManager: RecordingUserManager, extraControllers: userControllers });
    manager = t.auth.userManager as RecordingUserManager;
    admin = await createUser(t.auth, { email: 'admin@example.com', isSuperuser: true });
    adminToken = await bearerToken(t.app, 'jwt', 'admin@example.com');
  });
  after(() => t.close());
  beforeEach(() => manager.reset());

  const stored = (id: string) => t.dataSource.getRepository(User).findOneBy({ id });
  const as = (token: string) => ({
    get: (path: string) => request(t.app).get(path).set('Authorization', `Bearer ${token}`),
    patch: (path: string, body: object) => request(t.app).patch(path).set('Authorization', `Bearer ${token}`).send(body),
    delete: (path: string) => request(t.app).delete(path).set('Authorization', `Bearer ${token}`),
  });

  /** A fresh user with a jwt token. */
  async function member(email: string, fields: Partial<User> = {}): Promise<{ user: User; token: string }> {
    const user = await createUser(t.auth, { email, ...fields });
    const token = await bearerToken(t.app, 'jwt', email);
    manager.reset();
    return { user, token };
  }

  describe('GET /me', () => {
    it('answers 200 with the authenticated user, never the hash', async () => {
      const { user, token } = await member('me@example.com', { scopes: ['items:read'] });
      const res = await as(token).get('/users/me');
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: user.id, email: 'me@example.com', isActive: true, isSuperuser: false, isVerified: false });
      expect(res.body.scopes).to.deep.equal(['items:read']);
      expect(res.text).not.to.contain('hashedPassword');
      expect(res.text).not.to.contain('$argon2');
    });

    it('answers 401 without or with a bad token', async () => {
      const none = await request(t.app).get('/users/me');
      expect(none.status).to.equal(401);
      expect(none.body.code).to.equal('UNAUTHORIZED');
      expect(none.headers['www-authenticate']).to.equal('Bearer');
      const bad = await as('not-a-token').get('/users/me');
      expect(bad.status).to.equal(401);
    });

    it('is not shadowed by GET /:id for a superuser', async () => {
      const res = await as(adminToken).get('/users/me');
      expect(res.status).to.equal(200);
      expect(res.body.id).to.equal(admin.id);
    });
  });

  describe('PATCH /me', () => {
    it('changes the email (lower-cased), resets isVerified, and calls onAfterUpdate with the changes', async () => {
      const { user, token } = await member('mover@example.com', { isVerified: true });
      const res = await as(token).patch('/users/me', { email: 'Moved@Example.com', currentPassword: PASSWORD });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ id: user.id, email: 'moved@example.com', isVerified: false });
      expect(await stored(user.id)).to.include({ email: 'moved@example.com', isVerified: false });
      const [[hookUser, update, req]] = manager.callsOf('onAfterUpdate');
      expect(hookUser).to.include({ id: user.id, email: 'moved@example.com' });
      expect(update).to.deep.equal({ email: 'moved@example.com' });
      expect(isExpressRequest(req, 'PATCH', '/users/me')).to.equal(true);
    });

    it('keeps isVerified when the email is only re-cased', async () => {
      const { user, token } = await member('same@example.com', { isVerified: true });
      const res = await as(token).patch('/users/me', { email: 'SAME@example.com' });
      expect(res.status).to.equal(200);
      expect((await stored(user.id))!.isVerified).to.equal(true);
    });

    it('answers 400 UPDATE_USER_EMAIL_ALREADY_EXISTS for a taken email, whatever its case', async () => {
      const { user, token } = await member('wants@example.com');
      await createUser(t.auth, { email: 'owned@example.com' });
      manager.reset();
      const res = await as(token).patch('/users/me', { email: 'OWNED@example.com', currentPassword: PASSWORD });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ code: 'UPDATE_USER_EMAIL_ALREADY_EXISTS', message: 'A user with this email already exists.' });
      expect((await stored(user.id))!.email).to.equal('wants@example.com');
      expect(manager.callsOf('onAfterUpdate')).to.have.length(0);
    });

    it('lets exactly one of two users take a free email concurrently', async () => {
      const a = await member('race-a@example.com');
      const b = await member('race-b@example.com');
      const responses = await Promise.all([
        as(a.token).patch('/users/me', { email: 'prize@example.com', currentPassword: PASSWORD }),
        as(b.token).patch('/users/me', { email: 'PRIZE@example.com', currentPassword: PASSWORD }),
      ]);
      expect(responses.map((r) => r.status).sort()).to.deep.equal([200, 400]);
      expect(responses.find((r) => r.status === 400)!.body.code).to.equal('UPDATE_USER_EMAIL_ALREADY_EXISTS');
      expect(await t.dataSource.getRepository(User).countBy({ email: 'prize@example.com' })).to.equal(1);
    });

    it('changes the password (re-validated, re-hashed) and revokes every token of the user', async () => {
      const { user, token } = await member('rekey@example.com');
      const dbToken = await bearerToken(t.app, 'db', 'rekey@example.com');
      const res = await as(token).patch('/users/me', { password: NEW_PASSWORD, currentPassword: PASSWORD });
      expect(res.status).to.equal(200);
      expect((await login(t.app, 'jwt', 'rekey@example.com', NEW_PASSWORD)).status).to.equal(200);
      expect((await login(t.app, 'jwt', 'rekey@example.com', PASSWORD)).status).to.equal(400);
      expect((await stored(user.id))!.hashedPassword).to.match(/^\$argon2id\$/);
      expect((await as(dbToken).get('/users/me')).status).to.equal(401);
      // The hook hears that the password changed, never what it is.
      const [[, update]] = manager.callsOf('onAfterUpdate');
      expect(update).to.deep.equal({ passwordChanged: true });
      expect(JSON.stringify(update)).not.to.contain(NEW_PASSWORD);
    });

    it('answers 400 UPDATE_USER_INVALID_PASSWORD with the reason, changing nothing', async () => {
      const { user, token } = await member('weak-update@example.com');
      const cases: [object, string][] = [
        [{ password: 'short' }, 'Password must be at least 8 characters long.'],
        [{ password: 'iloveyou' }, 'Password is too common.'],
        [{ password: 'weak-update-2024' }, 'Password must not contain the part of the email address before the "@".'],
        // checked against the new email when both change at once
        [{ email: 'brandnew@example.com', password: 'brandnew-secret-99' }, 'Password must not contain the part of the email address before the "@".'],
      ];
      for (const [body, reason] of cases) {
        const res = await as(token).patch('/users/me', { ...body, currentPassword: PASSWORD });
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body).to.deep.equal({ code: 'UPDATE_USER_INVALID_PASSWORD', message: reason });
      }
      expect(await stored(user.id)).to.include({ email: 'weak-update@example.com', hashedPassword: user.hashedPassword });
      expect(manager.callsOf('onAfterUpdate')).to.have.length(0);
    });

    it('ignores isActive, isSuperuser, isVerified, scopes, id and hashedPassword sent by the user', async () => {
      const { user, token } = await member('climber@example.com');
      const res = await as(token).patch('/users/me', {
        isActive: false,
        isSuperuser: true,
        isVerified: true,
        scopes: ['superuser', 'items:write'],
        id: '00000000-0000-4000-8000-000000000000',
        hashedPassword: 'forged',
      });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: user.id, isActive: true, isSuperuser: false, isVerified: false });
      const row = (await stored(user.id))!;
      expect(row).to.include({ isActive: true, isSuperuser: false, isVerified: false, hashedPassword: user.hashedPassword });
      expect(row.scopes).to.deep.equal([]);
      expect((await as(token).get('/users/00000000-0000-4000-8000-000000000000')).status).to.equal(403);
    });

    it("updates the app's own columns through its DTO (updateDto), validated", async () => {
      const { user, token } = await member('named@example.com');
      const res = await as(token).patch('/users/me', { displayName: 'Named' });
      expect(res.status).to.equal(200);
      expect(res.body.displayName).to.equal('Named');
      expect((await stored(user.id))!.displayName).to.equal('Named');
      const bad = await as(token).patch('/users/me', { displayName: 42 });
      expect(bad.status).to.equal(400);
      expect(bad.body.code).to.equal('VALIDATION_ERROR');
    });

    it('answers 400 VALIDATION_ERROR for a malformed email, a null email or password, or bad JSON', async () => {
      const { token } = await member('validate@example.com');
      for (const body of [{ email: 'nope' }, { email: null }, { password: null }, { password: 123456789 }]) {
        const res = await as(token).patch('/users/me', body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_ERROR');
      }
      const malformed = await request(t.app)
        .patch('/users/me')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/json')
        .send('{"email":');
      expect(malformed.status).to.equal(400);
      expect(malformed.body.code).to.equal('VALIDATION_ERROR');
    });

    it('answers 401 without credentials', async () => {
      const res = await request(t.app).patch('/users/me').send({ email: 'x@example.com' });
      expect(res.status).to.equal(401);
    });
  });

  describe('superuser routes', () => {
    it('GET /:id answers 200 with the user for a superuser', async () => {
      const { user } = await member('target@example.com');
      const res = await as(adminToken).get(`/users/${user.id}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: user.id, email: 'target@example.com' });
      expect(res.text).not.to.contain('hashedPassword');
    });

    it('answers 401 without credentials and 403 INSUFFICIENT_SCOPE for other users, on every superuser route', async () => {
      const { user, token } = await member('pleb@example.com', { scopes: ['items:write'] });
      for (const [method, path] of [
        ['get', `/users/${user.id}`],
        ['patch', `/users/${user.id}`],
        ['delete', `/users/${user.id}`],
      ] as const) {
        const anonymous = await (request(t.app) as any)[method](path).send({});
        expect(anonymous.status, `${method} ${path}`).to.equal(401);
        const forbidden = await (request(t.app) as any)[method](path).set('Authorization', `Bearer ${token}`).send({ isSuperuser: true });
        expect(forbidden.status, `${method} ${path}`).to.equal(403);
        expect(forbidden.body.code).to.equal('INSUFFICIENT_SCOPE');
      }
      expect(await stored(user.id)).to.include({ isSuperuser: false });
    });

    it('answers 403 to a superuser whose token was issued without the superuser scope', async () => {
      await createUser(t.auth, { email: 'narrow-admin@example.com', isSuperuser: true, scopes: ['items:write'] });
      const narrow = await bearerToken(t.app, 'jwt', 'narrow-admin@example.com', PASSWORD, 'items:write');
      expect((await as(narrow).get(`/users/${admin.id}`)).status).to.equal(403);
    });

    it('answers 404 NOT_FOUND for unknown and malformed ids on GET, PATCH and DELETE', async () => {
      const ids = ['3f1c2b6e-9a1d-4c3e-8f2a-0123456789ab', 'not-a-uuid', '1', "1' OR '1'='1", 'x'.repeat(500), '%00', 'me%2Fyou'];
      for (const id of ids) {
        for (const method of ['get', 'patch', 'delete'] as const) {
          const req = (request(t.app) as any)[method](`/users/${encodeURIComponent(id)}`).set('Authorization', `Bearer ${adminToken}`);
          const res = method === 'patch' ? await req.send({ isActive: false }) : await req;
          expect(res.status, `${method} ${id}`).to.equal(404);
          expect(res.body).to.deep.equal({ code: 'NOT_FOUND', message: 'No user has this id.' });
        }
      }
    });

    it('PATCH /:id sets isActive, isSuperuser, isVerified, scopes and the user fields', async () => {
      const { user } = await member('promoted@example.com');
      const res = await as(adminToken).patch(`/users/${user.id}`, {
        isSuperuser: true,
        isVerified: true,
        scopes: ['items:write', 'items:read'],
        displayName: 'Promoted',
        email: 'Promoted2@example.com',
        id: '00000000-0000-4000-8000-000000000000',
        hashedPassword: 'forged',
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ id: user.id, isSuperuser: true, isVerified: true, displayName: 'Promoted', email: 'promoted2@example.com' });
      const row = (await stored(user.id))!;
      expect(row).to.include({ isSuperuser: true, isVerified: true, hashedPassword: user.hashedPassword });
      expect(row.scopes).to.deep.equal(['items:write', 'items:read']);
      const token = await bearerToken(t.app, 'jwt', 'promoted2@example.com');
      expect((await as(token).get('/items/both')).status).to.equal(200);
      expect((await as(token).get(`/users/${admin.id}`)).status).to.equal(200);
      const [[hookUser, update, req]] = manager.callsOf('onAfterUpdate');
      expect(hookUser).to.include({ id: user.id, isSuperuser: true });
      expect(update).to.include({ isSuperuser: true, isVerified: true, email: 'promoted2@example.com' });
      expect(isExpressRequest(req, 'PATCH', `/users/${user.id}`)).to.equal(true);
    });

    it('PATCH /:id validates the privileged fields', async () => {
      const { user } = await member('validated@example.com');
      for (const body of [{ isActive: 'no' }, { scopes: 'items:write' }, { scopes: ['has space'] }, { scopes: [42] }, { isSuperuser: null }]) {
        const res = await as(adminToken).patch(`/users/${user.id}`, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_ERROR');
      }
      expect(await stored(user.id)).to.include({ isActive: true, isSuperuser: false });
    });

    it('PATCH /:id answers UPDATE_USER_EMAIL_ALREADY_EXISTS and UPDATE_USER_INVALID_PASSWORD too', async () => {
      const { user } = await member('admin-edit@example.com');
      const taken = await as(adminToken).patch(`/users/${user.id}`, { email: 'ADMIN@example.com' });
      expect(taken.body.code).to.equal('UPDATE_USER_EMAIL_ALREADY_EXISTS');
      const weak = await as(adminToken).patch(`/users/${user.id}`, { password: 'password' }); // 8 characters, but the commonest
      expect(weak.body).to.deep.equal({ code: 'UPDATE_USER_INVALID_PASSWORD', message: 'Password is too common.' });
    });

    it('deactivating a user makes all their tokens fail at once (jwt, database, cookie)', async () => {
      const { user, token: jwtToken } = await member('deactivated@example.com');
      const dbToken = await bearerToken(t.app, 'db', 'deactivated@example.com');
      const cookie = cookieFrom(await login(t.app, 'cookie', 'deactivated@example.com'))!;
      expect((await request(t.app).get('/users/me').set('Cookie', cookie)).status).to.equal(200);

      const res = await as(adminToken).patch(`/users/${user.id}`, { isActive: false });
      expect(res.status).to.equal(200);
      expect(res.body.isActive).to.equal(false);

      expect((await as(jwtToken).get('/users/me')).status).to.equal(401);
      expect((await as(dbToken).get('/users/me')).status).to.equal(401);
      expect((await request(t.app).get('/users/me').set('Cookie', cookie)).status).to.equal(401);
      expect(await t.dataSource.getRepository(AccessToken).countBy({ userId: user.id })).to.equal(0);
      expect((await login(t.app, 'jwt', 'deactivated@example.com')).body.code).to.equal('LOGIN_BAD_CREDENTIALS');
    });

    it('taking superuser status away revokes the stored tokens that carried it', async () => {
      const { user } = await member('demoted@example.com', { isSuperuser: true });
      const dbToken = await bearerToken(t.app, 'db', 'demoted@example.com');
      expect((await as(dbToken).get(`/users/${admin.id}`)).status).to.equal(200);
      expect((await as(adminToken).patch(`/users/${user.id}`, { isSuperuser: false })).status).to.equal(200);
      expect((await as(dbToken).get(`/users/${admin.id}`)).status).to.equal(401);
      const fresh = await bearerToken(t.app, 'db', 'demoted@example.com');
      expect((await as(fresh).get(`/users/${admin.id}`)).status).to.equal(403);
    });

    it('DELETE /:id answers 204, calls the delete hooks, and the user\u2019s tokens fail at once', async () => {
      const { user, token: jwtToken } = await member('doomed@example.com');
      const dbToken = await bearerToken(t.app, 'db', 'doomed@example.com');
      const cookie = cookieFrom(await login(t.app, 'cookie', 'doomed@example.com'))!;
      manager.reset();

      const res = await as(adminToken).delete(`/users/${user.id}`);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect(await stored(user.id)).to.equal(null);
      expect(await t.dataSource.getRepository(AccessToken).countBy({ userId: user.id })).to.equal(0);
      for (const attempt of [as(jwtToken).get('/users/me'), as(dbToken).get('/users/me'), request(t.app).get('/users/me').set('Cookie', cookie)]) {
        expect((await attempt).status).to.equal(401);
      }
      expect((await as(adminToken).get(`/users/${user.id}`)).status).to.equal(404);

      expect(manager.calls.map((c) => c.hook)).to.deep.equal(['onBeforeDelete', 'onAfterDelete']);
      for (const [hookUser, req] of [...manager.callsOf('onBeforeDelete'), ...manager.callsOf('onAfterDelete')]) {
        expect(hookUser).to.include({ id: user.id });
        expect(isExpressRequest(req, 'DELETE', `/users/${user.id}`)).to.equal(true);
      }
    });

    it('onBeforeDelete throwing stops the deletion: nothing deleted, tokens still valid, its error answered', async () => {
      const { user, token } = await member('protected@example.com');
      const dbToken = await bearerToken(t.app, 'db', 'protected@example.com');
      manager.behaviour.onBeforeDelete = () => {
        throw new ForbiddenError('This account is under legal hold.');
      };
      const res = await as(adminToken).delete(`/users/${user.id}`);
      expect(res.status).to.equal(403);
      expect(res.body).to.deep.equal({ code: 'FORBIDDEN', message: 'This account is under legal hold.' });
      expect(await stored(user.id)).to.include({ email: 'protected@example.com' });
      expect((await as(token).get('/users/me')).status).to.equal(200);
      expect((await as(dbToken).get('/users/me')).status).to.equal(200);
      expect(manager.callsOf('onAfterDelete')).to.have.length(0);
    });

    it('onAfterDelete throwing leaves the user deleted and answers 500 USER_HOOK_FAILED', async () => {
      const { user } = await member('after-delete@example.com');
      manager.behaviour.onAfterDelete = () => {
        throw new Error('webhook failed');
      };
      const { result: res } = await capturingErrors(() => as(adminToken).delete(`/users/${user.id}`));
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.equal({ code: 'USER_HOOK_FAILED', message: 'The change was saved, but the onAfterDelete hook failed.' });
      expect(await stored(user.id)).to.equal(null);
    });

    it('a superuser may delete themselves; their token then fails', async () => {
      const { user, token } = await member('self-admin@example.com', { isSuperuser: true });
      expect((await as(token).delete(`/users/${user.id}`)).status).to.equal(204);
      expect((await as(token).get('/users/me')).status).to.equal(401);
    });
  });
});

for (const kind of ['postgres'] as DataSourceKind[]) {
  describe(`UsersController on ${kind}`, () => {
    let t: TestApp;
    let adminToken: string;
    before(async () => {
      t = await buildApp({ dataSourceKind: kind, extraControllers: userControllers });
      await createUser(t.auth, { email: 'pg-admin@example.com', isSuperuser: true });
      adminToken = await bearerToken(t.app, 'jwt', 'pg-admin@example.com');
    });
    after(() => t.close());

    it('answers 404 (never 500) for malformed ids, where the uuid column type would refuse them', async () => {
      for (const id of ['not-a-uuid', '1', "1' OR '1'='1", '3f1c2b6e-9a1d-4c3e-8f2a-0123456789ab']) {
        const res = await request(t.app)
          .get(`/users/${encodeURIComponent(id)}`)
          .set('Authorization', `Bearer ${adminToken}`);
        expect(res.status, id).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
      }
    });

    it('answers UPDATE_USER_EMAIL_ALREADY_EXISTS when two users race for one email', async () => {
      const a = await createUser(t.auth, { email: 'pg-a@example.com' });
      const b = await createUser(t.auth, { email: 'pg-b@example.com' });
      const results = await Promise.allSettled([
        t.auth.userManager.update(a, { email: 'pg-prize@example.com' }),
        t.auth.userManager.update(b, { email: 'PG-PRIZE@example.com' }),
      ]);
      expect(results.map((r) => r.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(rejected.reason.name).to.equal('UserAlreadyExistsError');
    });
  });
}
