import { expect } from 'chai';
import request from 'supertest';
import { InvalidPasswordError } from '../../src';
import { buildApp, PASSWORD, User, type DataSourceKind, type TestApp, DRIVER } from '../support/app';
import { login } from '../support/http';
import { capturingErrors, isExpressRequest, RecordingUserManager, userControllers } from '../support/user-routes';

const PUBLIC_FIELDS = ['id', 'email', 'isActive', 'isSuperuser', 'isVerified', 'scopes', 'displayName'];

function register(t: TestApp, body: unknown, path = '/auth/register') {
  return request(t.app)
    .post(path)
    .send(body as object);
}

for (const kind of ['sqlite', 'postgres'] as DataSourceKind[]) {
  describe(`POST /auth/register (${kind})`, () => {
    let t: TestApp;
    let manager: RecordingUserManager;

    before(async () => {
      t = await buildApp({ dataSourceKind: kind, userManager: RecordingUserManager, extraControllers: userControllers });
      manager = t.auth.userManager as RecordingUserManager;
    });
    after(() => t.close());
    beforeEach(() => manager.reset());

    const stored = (email: string) => t.dataSource.getRepository(User).findOneBy({ email });

    it('answers 201 with the new user, never its password hash', async () => {
      const res = await register(t, { email: 'new@example.com', password: PASSWORD });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({ email: 'new@example.com', isActive: true, isSuperuser: false, isVerified: false });
      expect(res.body.scopes).to.deep.equal([]);
      expect(res.body.id).to.match(/^[0-9a-f-]{36}$/);
      expect(res.body).to.have.all.keys(...PUBLIC_FIELDS.filter((f) => f in res.body));
      expect(res.body).to.include.keys('id', 'email', 'isActive', 'isSuperuser', 'isVerified', 'scopes');
      expect(res.text).not.to.contain('hashedPassword');
      expect(res.text).not.to.contain('$argon2');
      const row = await stored('new@example.com');
      expect(row?.hashedPassword).to.match(/^\$argon2id\$/);
    });

    it('stores the email lower-cased, and the account can log in with any casing', async () => {
      const res = await register(t, { email: 'Mixed.Case@Example.COM', password: PASSWORD });
      expect(res.status).to.equal(201);
      expect(res.body.email).to.equal('mixed.case@example.com');
      expect((await login(t.app, 'jwt', 'MIXED.case@example.com')).status).to.equal(200);
    });

    it('answers 400 REGISTER_USER_ALREADY_EXISTS for a taken email, whatever its case', async () => {
      expect((await register(t, { email: 'taken@example.com', password: PASSWORD })).status).to.equal(201);
      manager.reset();
      for (const email of ['taken@example.com', 'TAKEN@example.com', 'Taken@Example.Com']) {
        const res = await register(t, { email, password: 'another long passphrase' });
        expect(res.status, email).to.equal(400);
        expect(res.body).to.deep.equal({ code: 'REGISTER_USER_ALREADY_EXISTS', message: 'A user with this email already exists.' });
      }
      expect(manager.callsOf('onAfterRegister')).to.have.length(0);
      expect(await t.dataSource.getRepository(User).countBy({ email: 'taken@example.com' })).to.equal(1);
    });

    it('lets exactly one of concurrent registrations of A@x.io and a@x.io succeed (never a 500)', async () => {
      const responses = await Promise.all([register(t, { email: 'A@x.io', password: PASSWORD }), register(t, { email: 'a@x.io', password: PASSWORD })]);
      expect(responses.map((r) => r.status).sort()).to.deep.equal([201, 400]);
      const loser = responses.find((r) => r.status === 400)!;
      expect(loser.body.code).to.equal('REGISTER_USER_ALREADY_EXISTS');
      expect(await t.dataSource.getRepository(User).countBy({ email: 'a@x.io' })).to.equal(1);
      expect(manager.callsOf('onAfterRegister')).to.have.length(1);
    });

    it('lets exactly one of eight concurrent registrations of one address succeed', async () => {
      const variants = ['race@x.io', 'RACE@x.io', 'Race@X.io', 'rAce@x.IO', 'raCe@x.io', 'racE@X.IO', 'RACE@X.IO', 'race@X.io'];
      const responses = await Promise.all(variants.map((email) => register(t, { email, password: PASSWORD })));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).to.have.length(1);
      expect(statuses.filter((s) => s === 400)).to.have.length(7);
      for (const r of responses.filter((r) => r.status === 400)) expect(r.body.code).to.equal('REGISTER_USER_ALREADY_EXISTS');
    });

    it('ignores id, hashedPassword, isActive, isSuperuser, isVerified and scopes sent by the caller', async () => {
      const forgedId = '00000000-0000-4000-8000-000000000000';
      const res = await register(t, {
        email: 'mallory@example.com',
        password: PASSWORD,
        id: forgedId,
        hashedPassword: '$argon2id$v=19$m=19456,t=2,p=1$forged$forged',
        isActive: false,
        isSuperuser: true,
        isVerified: true,
        scopes: ['superuser', 'items:write'],
      });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ isActive: true, isSuperuser: false, isVerified: false });
      expect(res.body.id).not.to.equal(forgedId);
      expect(res.body.scopes).to.deep.equal([]);
      const row = await stored('mallory@example.com');
      expect(row).to.include({ isActive: true, isSuperuser: false, isVerified: false });
      expect(row!.scopes).to.deep.equal([]);
      expect(row!.hashedPassword).not.to.contain('forged');
      // The password given, not the hash, is what logs in; and the token carries no stolen scope.
      const token = (await login(t.app, 'jwt', 'mallory@example.com')).body.access_token;
      expect((await request(t.app).get('/items/admin').set('Authorization', `Bearer ${token}`)).status).to.equal(403);
    });

    it('drops extra fields the default DTO does not declare', async () => {
      const res = await register(t, { email: 'plain@example.com', password: PASSWORD, displayName: 'Plain' });
      expect(res.status).to.equal(201);
      expect((await stored('plain@example.com'))!.displayName).to.equal(null);
    });

    it("registers the app's own columns through the app's DTO (createDto)", async () => {
      const res = await register(t, { email: 'extra@example.com', password: PASSWORD, displayName: 'Extra', isSuperuser: true }, '/app-auth/register');
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({ displayName: 'Extra', isSuperuser: false });
      expect((await stored('extra@example.com'))!.displayName).to.equal('Extra');

      const bad = await register(t, { email: 'extra2@example.com', password: PASSWORD, displayName: 'x'.repeat(101) }, '/app-auth/register');
      expect(bad.status).to.equal(400);
      expect(bad.body.code).to.equal('VALIDATION_ERROR');
      expect(bad.body.details).to.deep.equal([{ field: 'displayName', errors: ['displayName must be shorter than or equal to 100 characters'] }]);
    });

    describe('REGISTER_INVALID_PASSWORD, with the reason as message', () => {
      const cases: [string, string, string][] = [
        ['too short', 'short7!', 'Password must be at least 8 characters long.'],
        ['too long', 'x'.repeat(1025), 'Password must be at most 1024 characters long.'],
        ['too common', 'password123', 'Password is too common.'],
        ['the email local part', 'my-weakling-password', 'Password must not contain the part of the email address before the "@".'],
      ];
      for (const [what, password, reason] of cases) {
        it(`refuses a password that is ${what}, creating nothing`, async () => {
          const res = await register(t, { email: 'weakling@example.com', password });
          expect(res.status).to.equal(400);
          expect(res.body).to.deep.equal({ code: 'REGISTER_INVALID_PASSWORD', message: reason });
          expect(await stored('weakling@example.com')).to.equal(null);
          expect(manager.callsOf('onAfterRegister')).to.have.length(0);
        });
      }

      it("uses the reason the app's validatePassword hook gives", async () => {
        manager.behaviour.validatePassword = (password: string) => {
          if (password.includes('acme')) throw new InvalidPasswordError('Password must not contain the company name.');
        };
        const res = await register(t, { email: 'hooked@example.com', password: 'i love acme widgets' });
        expect(res.body).to.deep.equal({ code: 'REGISTER_INVALID_PASSWORD', message: 'Password must not contain the company name.' });
        expect(await stored('hooked@example.com')).to.equal(null);
        const [[password, user]] = manager.callsOf('validatePassword');
        expect(password).to.equal('i love acme widgets');
        expect(user).to.include({ email: 'hooked@example.com' });
      });
    });

    it('calls onAfterRegister once with the stored user and the Express request', async () => {
      const res = await register(t, { email: 'hook@example.com', password: PASSWORD });
      expect(res.status).to.equal(201);
      const calls = manager.callsOf('onAfterRegister');
      expect(calls).to.have.length(1);
      const [user, req] = calls[0];
      expect(user).to.be.instanceOf(User);
      expect(user).to.include({ id: res.body.id, email: 'hook@example.com' });
      expect(isExpressRequest(req, 'POST', '/auth/register')).to.equal(true);
    });

    it('keeps the user and answers 500 USER_HOOK_FAILED (no stack, no hook message) when onAfterRegister throws', async () => {
      manager.behaviour.onAfterRegister = () => {
        throw new Error('SMTP is down: secret-internal-detail');
      };
      const { result: res, lines } = await capturingErrors(() => register(t, { email: 'smtp@example.com', password: PASSWORD }));
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.equal({ code: 'USER_HOOK_FAILED', message: 'The change was saved, but the onAfterRegister hook failed.' });
      expect(res.text).not.to.contain('secret-internal-detail');
      // The change stands, complete: the user can log in (the app re-sends its email later).
      expect(await stored('smtp@example.com')).to.include({ email: 'smtp@example.com', isActive: true });
      expect((await login(t.app, 'jwt', 'smtp@example.com')).status).to.equal(200);
      // The server log has the hook's error for the operator.
      expect(lines.join('\n')).to.contain('Caused by: Error: SMTP is down');
    });

    describe('bodies the library reads itself', () => {
      it('answers 400 VALIDATION_ERROR per field for a missing or malformed email and password', async () => {
        const res = await register(t, { email: 'not-an-email', password: 12345678 });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_ERROR');
        expect(res.body.details.map((d: any) => d.field).sort()).to.deep.equal(['email', 'password']);

        const empty = await request(t.app).post('/auth/register');
        expect(empty.status).to.equal(400);
        expect(empty.body.code).to.equal('VALIDATION_ERROR');
      });

      it('answers 400 VALIDATION_ERROR for malformed JSON and a body that is not an object', async () => {
        const malformed = await request(t.app).post('/auth/register').set('Content-Type', 'application/json').send('{"email": "a@x.io",');
        expect(malformed.status).to.equal(400);
        expect(malformed.body).to.deep.equal({ code: 'VALIDATION_ERROR', message: 'The request body is not valid JSON.' });
        const array = await request(t.app).post('/auth/register').set('Content-Type', 'application/json').send('[1,2]');
        expect(array.status).to.equal(400);
        expect(array.body.code).to.equal('VALIDATION_ERROR');
      });

      it('answers 415 for a form body and 413 for an oversized one', async () => {
        const form = await request(t.app).post('/auth/register').type('form').send({ email: 'form@example.com', password: PASSWORD });
        expect(form.status).to.equal(415);
        expect(form.body.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
        const big = await register(t, { email: 'big@example.com', password: PASSWORD, padding: 'x'.repeat(20_000) });
        expect(big.status).to.equal(413);
        expect(big.body.code).to.equal('PAYLOAD_TOO_LARGE');
        expect(await stored('form@example.com')).to.equal(null);
      });

      it('ignores __proto__ in the body', async () => {
        const res = await request(t.app)
          .post('/auth/register')
          .set('Content-Type', 'application/json')
          .send(`{"email":"proto@example.com","password":"${PASSWORD}","__proto__":{"isSuperuser":true}}`);
        if (DRIVER === 'koa') {
          // Koa's body parser, mounted by routing-controllers for every route, refuses proto-poisoned JSON itself.
          expect(res.status).to.equal(400);
          expect(res.body.code).to.equal('VALIDATION_ERROR');
        } else {
          expect(res.status).to.equal(201);
          expect(res.body.isSuperuser).to.equal(false);
        }
        expect(({} as any).isSuperuser).to.equal(undefined);
      });
    });
  });
}
