import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { AccessToken, FORGOT_PASSWORD_ACCEPTED, InvalidPasswordError } from '../../src';
import { buildApp, createUser, PASSWORD, SECRET, User, type TestApp } from '../support/app';
import { bearerToken, login } from '../support/http';
import { backgroundSettled, capturingErrors, gate, isExpressRequest, RecordingUserManager, userControllers } from '../support/user-routes';

const RESET_AUDIENCE = 'routing-controllers-auth:reset';
const NEW_PASSWORD = 'a brand new passphrase for me';

describe('ResetPasswordController', () => {
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

  const forgot = (email: unknown) => request(t.app).post('/auth/forgot-password').send({ email });
  const reset = (token: unknown, password: unknown) => request(t.app).post('/auth/reset-password').send({ token, password });
  const stored = (id: string) => t.dataSource.getRepository(User).findOneByOrFail({ id });

  /** Runs forgot-password for `email` and returns the token the hook received. */
  async function issuedToken(email: string): Promise<string> {
    expect((await forgot(email)).status).to.equal(202);
    await backgroundSettled();
    const calls = manager.callsOf('onAfterForgotPassword');
    expect(calls, 'onAfterForgotPassword calls').to.have.length(1);
    manager.reset();
    return calls[0][1];
  }

  describe('POST /forgot-password', () => {
    it('answers 202 with one and the same body for known, unknown and inactive emails', async () => {
      await createUser(t.auth, { email: 'known@example.com' });
      await createUser(t.auth, { email: 'inactive@example.com', isActive: false });
      manager.reset();
      const bodies: string[] = [];
      for (const email of ['known@example.com', 'unknown@example.com', 'inactive@example.com']) {
        const res = await forgot(email);
        expect(res.status, email).to.equal(202);
        bodies.push(res.text);
      }
      expect(new Set(bodies).size).to.equal(1);
      expect(JSON.parse(bodies[0])).to.deep.equal(FORGOT_PASSWORD_ACCEPTED);
      await backgroundSettled();
      expect(manager.callsOf('onAfterForgotPassword').map(([user]) => user.email)).to.deep.equal(['known@example.com']);
    });

    it('hands onAfterForgotPassword the user, a reset token and the Express request', async () => {
      const user = await createUser(t.auth, { email: 'forgetful@example.com' });
      manager.reset();
      expect((await forgot('Forgetful@EXAMPLE.com')).status).to.equal(202);
      await backgroundSettled();
      const [[hookUser, token, req]] = manager.callsOf('onAfterForgotPassword');
      expect(hookUser).to.include({ id: user.id });
      expect(jwt.decode(token)).to.include({ sub: user.id, aud: RESET_AUDIENCE });
      // The token carries a fingerprint of the hash, never the hash.
      expect(token).not.to.contain(user.hashedPassword);
      expect(isExpressRequest(req, 'POST', '/auth/forgot-password')).to.equal(true);
    });

    it('answers 202 while the hook is still running', async () => {
      await createUser(t.auth, { email: 'slow@example.com' });
      manager.reset();
      const mailer = gate();
      let sent = false;
      manager.behaviour.onAfterForgotPassword = async () => {
        await mailer.promise;
        sent = true;
      };
      const res = await forgot('slow@example.com');
      expect(res.status).to.equal(202);
      expect(sent).to.equal(false);
      mailer.open();
      await backgroundSettled();
      expect(sent).to.equal(true);
    });

    it('answers 202 before even looking the email up', async () => {
      await createUser(t.auth, { email: 'lookup@example.com' });
      manager.reset();
      const database = gate();
      manager.lookupGate = database.promise;
      const res = await forgot('lookup@example.com');
      expect(res.status).to.equal(202);
      expect(manager.callsOf('onAfterForgotPassword')).to.have.length(0);
      database.open();
      await backgroundSettled();
      expect(manager.callsOf('onAfterForgotPassword')).to.have.length(1);
    });

    it('answers 400 VALIDATION_ERROR for a malformed email', async () => {
      const res = await forgot('nope');
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_ERROR');
    });
  });

  describe('POST /reset-password', () => {
    it('answers 200, sets the new password, revokes every token and calls onAfterResetPassword', async () => {
      const user = await createUser(t.auth, { email: 'resetter@example.com' });
      const dbToken = await bearerToken(t.app, 'db', 'resetter@example.com');
      const token = await issuedToken('resetter@example.com');

      const res = await reset(token, NEW_PASSWORD);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ id: user.id, email: 'resetter@example.com' });
      expect(res.text).not.to.contain('hashedPassword');

      expect((await login(t.app, 'jwt', 'resetter@example.com', NEW_PASSWORD)).status).to.equal(200);
      expect((await login(t.app, 'jwt', 'resetter@example.com', PASSWORD)).status).to.equal(400);
      expect((await request(t.app).get('/users/me').set('Authorization', `Bearer ${dbToken}`)).status).to.equal(401);
      expect(await t.dataSource.getRepository(AccessToken).countBy({ userId: user.id })).to.equal(0);

      const [[hookUser, req]] = manager.callsOf('onAfterResetPassword');
      expect(hookUser).to.include({ id: user.id });
      expect(isExpressRequest(req, 'POST', '/auth/reset-password')).to.equal(true);
      const [[password]] = manager.callsOf('validatePassword');
      expect(password).to.equal(NEW_PASSWORD);
    });

    it('keeps the password exactly as typed (spaces, case, Unicode)', async () => {
      await createUser(t.auth, { email: 'exact@example.com' });
      const token = await issuedToken('exact@example.com');
      const typed = '  Ünïcödé Pässwörd 🔑  ';
      expect((await reset(token, typed)).status).to.equal(200);
      expect((await login(t.app, 'jwt', 'exact@example.com', typed)).status).to.equal(200);
      for (const variant of [typed.trim(), typed.toLowerCase(), typed.normalize('NFD')]) {
        expect((await login(t.app, 'jwt', 'exact@example.com', variant)).status, JSON.stringify(variant)).to.equal(400);
      }
    });

    it('is single-use: a reused token, and any other token issued before, answer RESET_PASSWORD_BAD_TOKEN', async () => {
      await createUser(t.auth, { email: 'once@example.com' });
      const first = await issuedToken('once@example.com');
      const second = await issuedToken('once@example.com');
      expect((await reset(first, NEW_PASSWORD)).status).to.equal(200);
      manager.reset();
      for (const token of [first, second]) {
        const res = await reset(token, 'yet another passphrase');
        expect(res.status).to.equal(400);
        expect(res.body).to.deep.equal({ code: 'RESET_PASSWORD_BAD_TOKEN', message: 'The reset token is invalid, expired or already used.' });
      }
      expect(manager.callsOf('onAfterResetPassword')).to.have.length(0);
      expect((await login(t.app, 'jwt', 'once@example.com', NEW_PASSWORD)).status).to.equal(200);
    });

    it('lets exactly one of two concurrent uses of one token succeed', async () => {
      await createUser(t.auth, { email: 'race@example.com' });
      const token = await issuedToken('race@example.com');
      const responses = await Promise.all([reset(token, 'first racing passphrase'), reset(token, 'second racing passphrase')]);
      expect(responses.map((r) => r.status).sort()).to.deep.equal([200, 400]);
      const [winner, loser] = responses[0].status === 200 ? responses : [responses[1], responses[0]];
      expect(loser.body.code).to.equal('RESET_PASSWORD_BAD_TOKEN');
      expect(manager.callsOf('onAfterResetPassword')).to.have.length(1);
      const winning = winner === responses[0] ? 'first racing passphrase' : 'second racing passphrase';
      const losing = winner === responses[0] ? 'second racing passphrase' : 'first racing passphrase';
      expect((await login(t.app, 'jwt', 'race@example.com', winning)).status).to.equal(200);
      expect((await login(t.app, 'jwt', 'race@example.com', losing)).status).to.equal(400);
    });

    it('answers RESET_PASSWORD_INVALID_PASSWORD with the reason, keeping the token usable', async () => {
      const user = await createUser(t.auth, { email: 'picky@example.com' });
      const token = await issuedToken('picky@example.com');
      const cases: [string, string][] = [
        ['short', 'Password must be at least 8 characters long.'],
        ['qwertyuiop', 'Password is too common.'],
        ['picky-picky-picky', 'Password must not contain the part of the email address before the "@".'],
      ];
      for (const [password, reason] of cases) {
        const res = await reset(token, password);
        expect(res.status).to.equal(400);
        expect(res.body).to.deep.equal({ code: 'RESET_PASSWORD_INVALID_PASSWORD', message: reason });
      }
      manager.behaviour.validatePassword = () => {
        throw new InvalidPasswordError('Password was used before.');
      };
      const hooked = await reset(token, NEW_PASSWORD);
      expect(hooked.body).to.deep.equal({ code: 'RESET_PASSWORD_INVALID_PASSWORD', message: 'Password was used before.' });
      expect(manager.callsOf('onAfterResetPassword')).to.have.length(0);
      manager.behaviour = {};
      const before = (await stored(user.id)).hashedPassword;
      expect(before).to.equal(user.hashedPassword);
      expect((await reset(token, NEW_PASSWORD)).status).to.equal(200);
    });

    it('checks the token before the password', async () => {
      const res = await reset('not-a-token', 'short');
      expect(res.body.code).to.equal('RESET_PASSWORD_BAD_TOKEN');
    });

    describe('RESET_PASSWORD_BAD_TOKEN for tokens of another kind or state', () => {
      let user: User;
      before(async () => {
        user = await createUser(t.auth, { email: 'kinds@example.com' });
      });

      async function expectBadToken(token: string) {
        const res = await reset(token, NEW_PASSWORD);
        expect(res.status, token.slice(0, 60)).to.equal(400);
        expect(res.body.code).to.equal('RESET_PASSWORD_BAD_TOKEN');
      }

      it('refuses an access token of the jwt backend signed with the same secret', async () => {
        await expectBadToken(await bearerToken(t.app, 'jwt', 'kinds@example.com'));
        await expectBadToken(await bearerToken(t.app, 'db', 'kinds@example.com'));
      });

      it('refuses a verify token', async () => {
        await t.auth.userManager.requestVerify(user);
        const [[, verifyToken]] = manager.callsOf('onAfterRequestVerify');
        await expectBadToken(verifyToken);
      });

      it('refuses forged, expired and fingerprint-less tokens', async () => {
        await expectBadToken(jwt.sign({ sub: user.id, pwd: 'guess' }, SECRET, { audience: RESET_AUDIENCE, expiresIn: 600 }));
        await expectBadToken(jwt.sign({ sub: user.id }, SECRET, { audience: RESET_AUDIENCE, expiresIn: 600 }));
        const token = await issuedToken('kinds@example.com');
        const claims = jwt.decode(token) as jwt.JwtPayload;
        await expectBadToken(jwt.sign({ sub: user.id, pwd: claims.pwd, exp: Math.floor(Date.now() / 1000) - 1 }, SECRET, { audience: RESET_AUDIENCE }));
        await expectBadToken(
          jwt.sign({ sub: user.id, pwd: claims.pwd }, 'another-secret-0123456789-abcdefghijklmnopqrstuvwxyz', { audience: RESET_AUDIENCE, expiresIn: 600 }),
        );
      });

      it('refuses the token of a user who was deactivated or deleted since', async () => {
        const off = await createUser(t.auth, { email: 'reset-off@example.com' });
        const offToken = await issuedToken('reset-off@example.com');
        await t.auth.userManager.update(off, { isActive: false }, { safe: false });
        await expectBadToken(offToken);

        const gone = await createUser(t.auth, { email: 'reset-gone@example.com' });
        const goneToken = await issuedToken('reset-gone@example.com');
        await t.auth.userManager.delete(gone);
        await expectBadToken(goneToken);
      });
    });

    it('never accepts a reset token as a Bearer access token (401)', async () => {
      await createUser(t.auth, { email: 'reset-bearer@example.com' });
      const token = await issuedToken('reset-bearer@example.com');
      const res = await request(t.app).get('/users/me').set('Authorization', `Bearer ${token}`);
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
    });

    it('answers 400 VALIDATION_ERROR for missing fields', async () => {
      for (const body of [{}, { token: 'x' }, { password: NEW_PASSWORD }, { token: 'x', password: 12345678 }]) {
        const res = await request(t.app).post('/auth/reset-password').send(body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_ERROR');
      }
    });

    it('keeps the new password and answers USER_HOOK_FAILED when onAfterResetPassword throws', async () => {
      await createUser(t.auth, { email: 'reset-hook@example.com' });
      const token = await issuedToken('reset-hook@example.com');
      manager.behaviour.onAfterResetPassword = () => {
        throw new Error('audit log down');
      };
      const { result: res } = await capturingErrors(() => reset(token, NEW_PASSWORD));
      expect(res.status).to.equal(500);
      expect(res.body.code).to.equal('USER_HOOK_FAILED');
      expect((await login(t.app, 'jwt', 'reset-hook@example.com', NEW_PASSWORD)).status).to.equal(200);
    });
  });
});
