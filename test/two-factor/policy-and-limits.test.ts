/**
 * The enrolment policy (`twoFactor.required`), the per-user limit on second-factor guesses, and
 * the mfa_token's lifetime, over HTTP.
 */
import { expect } from 'chai';
import { randomUUID } from 'crypto';
import request from 'supertest';
import { MemoryPendingLoginStore, PENDING_LOGIN_LIFETIME_SECONDS } from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp, User } from '../support/app';
import { bearerToken, cookieFrom } from '../support/http';
import { enrolTotp, jwtClaims, mfaToken, totpCode, twoFactorRoutes } from '../support/two-factor';

const login = (t: TestApp, backend: string, email: string) =>
  request(t.app).post(`/auth/${backend}/login`).type('form').send({ username: email, password: PASSWORD });

describe('two-factor policy, guess limit and token lifetime', function () {
  this.timeout(30_000);

  describe('required: a user made to enrol gets a token that reaches only the enrolment routes', () => {
    let t: TestApp;
    before(async () => {
      t = await buildApp({
        twoFactor: { issuer: 'RCA Test', required: async (user: User) => user.email.startsWith('must-') },
        extraControllers: (auth) => [twoFactorRoutes(auth)],
      });
    });
    after(() => t?.close());

    it('login answers mfa_enrolment_required with no session; POST /2fa/totp and /confirm with the token enrol and log in (amr pwd+otp)', async () => {
      const email = `must-${randomUUID()}@example.com`;
      const user = await createUser(t.auth, { email });
      const first = await login(t, 'jwt', email);
      expect(first.status).to.equal(200);
      expect(Object.keys(first.body).sort()).to.deep.equal(['mfa_enrolment_required', 'mfa_token']);
      const token = first.body.mfa_token as string;

      // The token is no credential and finishes no login.
      expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(401);
      const verify = await request(t.app).post('/auth/2fa/verify').send({ mfa_token: token, code: '123456' });
      expect(verify.body.code).to.equal('MFA_TOKEN_INVALID');
      const status = await request(t.app).get('/auth/2fa').set('Authorization', `Bearer ${token}`);
      expect(status.status).to.equal(401);
      const regenerate = await request(t.app).post('/auth/2fa/recovery-codes').send({ mfa_token: token });
      expect(regenerate.status).to.equal(401);

      const begin = await request(t.app).post('/auth/2fa/totp').send({ mfa_token: token });
      expect(begin.status, JSON.stringify(begin.body)).to.equal(200);
      const wrong = await request(t.app)
        .post('/auth/2fa/totp/confirm')
        .send({ mfa_token: token, code: totpCode(begin.body.secret, 5) });
      expect(wrong.body.code).to.equal('MFA_CODE_INVALID');
      const confirm = await request(t.app)
        .post('/auth/2fa/totp/confirm')
        .send({ mfa_token: token, code: totpCode(begin.body.secret) });
      expect(confirm.status, JSON.stringify(confirm.body)).to.equal(200);
      expect(confirm.body.recovery_codes).to.have.length(10);
      expect(jwtClaims(confirm.body.access_token).amr).to.deep.equal(['pwd', 'otp']);
      expect((await request(t.app).get('/items').set('Authorization', `Bearer ${confirm.body.access_token}`)).body).to.deep.equal({ owner: email });

      // Used up; and from now on the login asks for the second factor.
      const again = await request(t.app).post('/auth/2fa/totp').send({ mfa_token: token });
      expect(again.body.code).to.equal('MFA_TOKEN_INVALID');
      expect((await login(t, 'jwt', email)).body.mfa_required).to.equal(true);
      expect(await t.auth.sessions.listForUser(user.id)).to.deep.equal([]);
    });

    it('a cookie login that must enrol ends with the cookie; a login token (mfa_required) does not reach the enrolment routes', async () => {
      const email = `must-${randomUUID()}@example.com`;
      await createUser(t.auth, { email });
      const token = (await login(t, 'cookie', email)).body.mfa_token as string;
      const { secret } = (await request(t.app).post('/auth/2fa/totp').send({ mfa_token: token })).body;
      const confirm = await request(t.app)
        .post('/auth/2fa/totp/confirm')
        .send({ mfa_token: token, code: totpCode(secret) });
      expect(confirm.status, JSON.stringify(confirm.body)).to.equal(200);
      expect(confirm.body).to.have.keys(['recovery_codes']);
      const cookie = cookieFrom(confirm);
      expect((await request(t.app).get('/items').set('Cookie', cookie!)).body).to.deep.equal({ owner: email });

      const loginToken = await mfaToken(t.app, 'jwt', email, PASSWORD);
      const refused = await request(t.app).post('/auth/2fa/totp').send({ mfa_token: loginToken });
      expect(refused.status).to.equal(400);
      expect(refused.body.code).to.equal('MFA_TOKEN_INVALID');
    });

    it('users the policy leaves alone log in as before', async () => {
      const email = `free-${randomUUID()}@example.com`;
      await createUser(t.auth, { email });
      expect((await login(t, 'jwt', email)).body.access_token).to.be.a('string');
    });
  });

  describe('wrong codes count in a per-user limit', () => {
    let t: TestApp;
    before(async () => {
      t = await buildApp({
        twoFactor: { issuer: 'RCA Test' },
        rateLimits: { limits: { secondFactor: { perAccount: { points: 3, durationSeconds: 900 } } } },
        extraControllers: (auth) => [twoFactorRoutes(auth)],
      });
    });
    after(() => t?.close());

    it('after the budget, 429 TOO_MANY_REQUESTS with Retry-After, even for the right code and a fresh mfa_token; other users are not affected', async () => {
      const email = `bf-${randomUUID()}@example.com`;
      await createUser(t.auth, { email });
      const { secret } = await enrolTotp(t.app, await bearerToken(t.app, 'jwt', email));
      const token = await mfaToken(t.app, 'jwt', email, PASSWORD);
      const right = totpCode(secret, 1);
      const wrong = right === '000000' ? '111111' : '000000';
      for (let i = 0; i < 3; i++) {
        const res = await request(t.app).post('/auth/2fa/verify').send({ mfa_token: token, code: wrong });
        expect(res.status, `attempt ${i + 1}`).to.equal(400);
        expect(res.body.code).to.equal('MFA_CODE_INVALID');
      }
      for (const mfa_token of [token, await mfaToken(t.app, 'jwt', email, PASSWORD)]) {
        const limited = await request(t.app).post('/auth/2fa/verify').send({ mfa_token, code: right });
        expect(limited.status).to.equal(429);
        expect(limited.body.code).to.equal('TOO_MANY_REQUESTS');
        expect(Number(limited.headers['retry-after'])).to.be.greaterThan(0);
      }

      const other = `bf-${randomUUID()}@example.com`;
      await createUser(t.auth, { email: other });
      const second = await enrolTotp(t.app, await bearerToken(t.app, 'jwt', other));
      const res = await request(t.app)
        .post('/auth/2fa/verify')
        .send({ mfa_token: await mfaToken(t.app, 'jwt', other, PASSWORD), code: totpCode(second.secret, 1) });
      expect(res.status).to.equal(200);
    });

    it('a success gives the budget back (the limit counts consecutive failures)', async () => {
      const email = `bf-${randomUUID()}@example.com`;
      await createUser(t.auth, { email });
      const { secret, recoveryCodes } = await enrolTotp(t.app, await bearerToken(t.app, 'jwt', email));
      const token = await mfaToken(t.app, 'jwt', email, PASSWORD);
      for (let i = 0; i < 2; i++) await request(t.app).post('/auth/2fa/verify').send({ mfa_token: token, recovery_code: 'aaaaa-aaaaa' });
      expect(
        (
          await request(t.app)
            .post('/auth/2fa/verify')
            .send({ mfa_token: token, code: totpCode(secret, 1) })
        ).status,
      ).to.equal(200);
      const next = await mfaToken(t.app, 'jwt', email, PASSWORD);
      for (let i = 0; i < 2; i++) {
        const res = await request(t.app).post('/auth/2fa/verify').send({ mfa_token: next, recovery_code: 'aaaaa-aaaaa' });
        expect(res.status).to.equal(400);
      }
      expect((await request(t.app).post('/auth/2fa/verify').send({ mfa_token: next, recovery_code: recoveryCodes[0] })).status).to.equal(200);
    });

    it('wrong confirmation codes at enrolment count too', async () => {
      const email = `bf-${randomUUID()}@example.com`;
      await createUser(t.auth, { email });
      const access = await bearerToken(t.app, 'jwt', email);
      const { secret } = (await request(t.app).post('/auth/2fa/totp').set('Authorization', `Bearer ${access}`).send({})).body;
      const wrong = totpCode(secret) === '000000' ? '111111' : '000000';
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await request(t.app).post('/auth/2fa/totp/confirm').set('Authorization', `Bearer ${access}`).send({ code: wrong })).status);
      expect(statuses).to.deep.equal([400, 400, 400, 429]);
    });
  });

  describe('the mfa_token lives 5 minutes', () => {
    let t: TestApp;
    let clock = Date.now();
    before(async () => {
      t = await buildApp({
        twoFactor: { issuer: 'RCA Test', store: new MemoryPendingLoginStore({ now: () => clock }) },
        extraControllers: (auth) => [twoFactorRoutes(auth)],
      });
    });
    after(() => t?.close());

    it('is refused (MFA_TOKEN_INVALID) once its 5 minutes have passed, accepted just before', async () => {
      expect(PENDING_LOGIN_LIFETIME_SECONDS).to.equal(300);
      const email = `exp-${randomUUID()}@example.com`;
      await createUser(t.auth, { email });
      const { secret } = await enrolTotp(t.app, await bearerToken(t.app, 'jwt', email));
      clock = Date.now();
      const expiring = await mfaToken(t.app, 'jwt', email, PASSWORD);
      const living = await mfaToken(t.app, 'jwt', email, PASSWORD);
      clock += 300_000 + 1;
      const res = await request(t.app)
        .post('/auth/2fa/verify')
        .send({ mfa_token: expiring, code: totpCode(secret, 1) });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('MFA_TOKEN_INVALID');
      clock -= 2;
      expect(
        (
          await request(t.app)
            .post('/auth/2fa/verify')
            .send({ mfa_token: living, code: totpCode(secret, 1) })
        ).status,
      ).to.equal(200);
    });
  });
});
