import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { REQUEST_VERIFY_ACCEPTED } from '../../src';
import { buildApp, createUser, SECRET, User, type TestApp } from '../support/app';
import { bearerToken } from '../support/http';
import { backgroundSettled, capturingErrors, gate, isExpressRequest, RecordingUserManager, userControllers } from '../support/user-routes';

const VERIFY_AUDIENCE = 'routing-controllers-auth:verify';

describe('VerifyController', () => {
  let t: TestApp;
  let manager: RecordingUserManager;

  before(async () => {
    t = await buildApp({ userManager: RecordingUserManager, extraControllers: userControllers });
    manager = t.auth.userManager as RecordingUserManager;
  });
  after(async () => {
    await backgroundSettled();
    await t.close();
  });
  beforeEach(() => manager.reset());

  const requestToken = (email: unknown) => request(t.app).post('/auth/request-verify-token').send({ email });
  const verify = (token: unknown) => request(t.app).post('/auth/verify').send({ token });
  const stored = (id: string) => t.dataSource.getRepository(User).findOneByOrFail({ id });

  /** Asks for a verify token for `email` and returns the one the hook received. */
  async function issuedToken(email: string): Promise<string> {
    const res = await requestToken(email);
    expect(res.status).to.equal(202);
    await backgroundSettled();
    const calls = manager.callsOf('onAfterRequestVerify');
    expect(calls, 'onAfterRequestVerify calls').to.have.length(1);
    manager.reset();
    return calls[0][1];
  }

  describe('POST /request-verify-token', () => {
    it('answers 202 with one and the same body for known, unknown, verified and inactive emails', async () => {
      await createUser(t.auth, { email: 'same-unverified@example.com' });
      await createUser(t.auth, { email: 'same-verified@example.com', isVerified: true });
      await createUser(t.auth, { email: 'same-inactive@example.com', isActive: false });
      const bodies: string[] = [];
      for (const email of ['same-unverified@example.com', 'nobody@example.com', 'same-verified@example.com', 'same-inactive@example.com']) {
        const res = await requestToken(email);
        expect(res.status, email).to.equal(202);
        expect(res.headers['content-type']).to.match(/^application\/json/);
        bodies.push(res.text);
      }
      expect(new Set(bodies).size).to.equal(1);
      expect(JSON.parse(bodies[0])).to.deep.equal(REQUEST_VERIFY_ACCEPTED);
      await backgroundSettled();
      // Only the unverified, active account was sent a token.
      const calls = manager.callsOf('onAfterRequestVerify');
      expect(calls.map(([user]) => user.email)).to.deep.equal(['same-unverified@example.com']);
    });

    it('hands onAfterRequestVerify the user, a token and the Express request (email matched case-insensitively)', async () => {
      const user = await createUser(t.auth, { email: 'hooked@example.com' });
      manager.reset();
      const res = await requestToken('HOOKED@Example.com');
      expect(res.status).to.equal(202);
      await backgroundSettled();
      const [[hookUser, token, req]] = manager.callsOf('onAfterRequestVerify');
      expect(hookUser).to.include({ id: user.id, email: 'hooked@example.com' });
      expect(token).to.be.a('string');
      expect(jwt.decode(token)).to.include({ sub: user.id, email: 'hooked@example.com', aud: VERIFY_AUDIENCE });
      expect(isExpressRequest(req, 'POST', '/auth/request-verify-token')).to.equal(true);
    });

    it('answers 202 while the hook is still running (its timing says nothing about the account)', async () => {
      await createUser(t.auth, { email: 'slow-mailer@example.com' });
      manager.reset();
      const mailer = gate();
      let hookFinished = false;
      manager.behaviour.onAfterRequestVerify = async () => {
        await mailer.promise;
        hookFinished = true;
      };
      const res = await requestToken('slow-mailer@example.com');
      // The answer is here while the hook is still waiting for its "mail server".
      expect(res.status).to.equal(202);
      expect(hookFinished).to.equal(false);
      mailer.open();
      await backgroundSettled();
      expect(hookFinished).to.equal(true);
    });

    it('answers 202 before even looking the email up', async () => {
      await createUser(t.auth, { email: 'lookup@example.com' });
      manager.reset();
      const database = gate();
      manager.lookupGate = database.promise;
      const res = await requestToken('lookup@example.com');
      expect(res.status).to.equal(202);
      expect(manager.callsOf('onAfterRequestVerify')).to.have.length(0);
      database.open();
      await backgroundSettled();
      expect(manager.callsOf('onAfterRequestVerify')).to.have.length(1);
    });

    it('logs a failing hook without the token, the client having its 202 already', async () => {
      await createUser(t.auth, { email: 'failing-mailer@example.com' });
      manager.reset();
      let token = '';
      manager.behaviour.onAfterRequestVerify = (_user: User, issued: string) => {
        token = issued;
        throw new Error('mail server unreachable');
      };
      const { result: res, lines } = await capturingErrors(async () => {
        const response = await requestToken('failing-mailer@example.com');
        await backgroundSettled();
        return response;
      });
      expect(res.status).to.equal(202);
      const log = lines.join('\n');
      expect(log).to.contain('the onAfterRequestVerify hook failed');
      expect(log).to.contain('mail server unreachable');
      expect(token).to.have.length.greaterThan(20);
      expect(log).not.to.contain(token);
    });

    it('answers 400 VALIDATION_ERROR for a malformed email (before any lookup)', async () => {
      for (const email of ['not-an-email', 42, null, 'a'.repeat(400) + '@example.com']) {
        const res = await requestToken(email);
        expect(res.status, String(email)).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_ERROR');
      }
      await backgroundSettled();
      expect(manager.calls).to.have.length(0);
    });
  });

  describe('POST /verify', () => {
    it('answers 200 with the user, now verified, and calls onAfterVerify with it and the request', async () => {
      const user = await createUser(t.auth, { email: 'verify-me@example.com' });
      const token = await issuedToken('verify-me@example.com');
      const res = await verify(token);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ id: user.id, email: 'verify-me@example.com', isVerified: true });
      expect(res.text).not.to.contain('hashedPassword');
      expect((await stored(user.id)).isVerified).to.equal(true);
      const [[hookUser, req]] = manager.callsOf('onAfterVerify');
      expect(hookUser).to.include({ id: user.id, isVerified: true });
      expect(isExpressRequest(req, 'POST', '/auth/verify')).to.equal(true);
    });

    it('answers 400 VERIFY_USER_ALREADY_VERIFIED for a second use, without calling the hook again', async () => {
      await createUser(t.auth, { email: 'twice@example.com' });
      const token = await issuedToken('twice@example.com');
      expect((await verify(token)).status).to.equal(200);
      manager.reset();
      const again = await verify(token);
      expect(again.status).to.equal(400);
      expect(again.body).to.deep.equal({ code: 'VERIFY_USER_ALREADY_VERIFIED', message: 'This user is already verified.' });
      expect(manager.callsOf('onAfterVerify')).to.have.length(0);
    });

    describe('VERIFY_USER_BAD_TOKEN', () => {
      let user: User;
      before(async () => {
        user = await createUser(t.auth, { email: 'bad-tokens@example.com' });
      });

      async function expectBadToken(token: string) {
        const res = await verify(token);
        expect(res.status, token.slice(0, 60)).to.equal(400);
        expect(res.body).to.deep.equal({ code: 'VERIFY_USER_BAD_TOKEN', message: 'The verification token is invalid or expired.' });
      }

      it('refuses garbage and tokens signed with another secret, with alg none, or expired', async () => {
        await expectBadToken('garbage');
        await expectBadToken('a.b.c');
        const claims = { sub: user.id, email: user.email };
        await expectBadToken(jwt.sign(claims, 'another-secret-0123456789-abcdefghijklmnopqrstuvwxyz', { audience: VERIFY_AUDIENCE, expiresIn: 600 }));
        await expectBadToken(jwt.sign(claims, '', { algorithm: 'none', audience: VERIFY_AUDIENCE, expiresIn: 600 } as any));
        await expectBadToken(jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, SECRET, { audience: VERIFY_AUDIENCE }));
        await expectBadToken(jwt.sign(claims, SECRET, { audience: VERIFY_AUDIENCE })); // no exp: never accepted
        expect((await stored(user.id)).isVerified).to.equal(false);
      });

      it('refuses an access token of the jwt backend (same secret) and a reset token', async () => {
        const access = await bearerToken(t.app, 'jwt', 'bad-tokens@example.com');
        await expectBadToken(access);
        const reset = jwt.sign({ sub: user.id, pwd: 'x' }, SECRET, { audience: 'routing-controllers-auth:reset', expiresIn: 600 });
        await expectBadToken(reset);
        // …and the one the library issues for password resets.
        await t.auth.userManager.forgotPassword(user);
        const [[, issuedReset]] = manager.callsOf('onAfterForgotPassword');
        await expectBadToken(issuedReset);
        expect(manager.callsOf('onAfterVerify')).to.have.length(0);
      });

      it('refuses a token whose email is no longer the user\u2019s', async () => {
        const mover = await createUser(t.auth, { email: 'mover@example.com' });
        const token = await issuedToken('mover@example.com');
        await t.auth.userManager.update(mover, { email: 'moved@example.com' });
        await expectBadToken(token);
        expect((await stored(mover.id)).isVerified).to.equal(false);
      });

      it('refuses a token of a deleted or deactivated user', async () => {
        const gone = await createUser(t.auth, { email: 'gone@example.com' });
        const goneToken = await issuedToken('gone@example.com');
        await t.auth.userManager.delete(gone);
        await expectBadToken(goneToken);

        const off = await createUser(t.auth, { email: 'off@example.com' });
        const offToken = await issuedToken('off@example.com');
        await t.auth.userManager.update(off, { isActive: false }, { safe: false });
        await expectBadToken(offToken);
      });
    });

    it('answers 400 VALIDATION_ERROR for a missing or non-string token', async () => {
      for (const body of [{}, { token: 42 }, { token: '' }, { token: 'x'.repeat(5000) }]) {
        const res = await request(t.app).post('/auth/verify').send(body);
        expect(res.status, JSON.stringify(body).slice(0, 40)).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_ERROR');
      }
    });

    it('never accepts a verify token as a Bearer access token (401)', async () => {
      await createUser(t.auth, { email: 'not-a-bearer@example.com' });
      const token = await issuedToken('not-a-bearer@example.com');
      const res = await request(t.app).get('/users/me').set('Authorization', `Bearer ${token}`);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
      expect(res.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
    });
  });
});
