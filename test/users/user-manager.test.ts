import { expect } from 'chai';
import { Container } from 'typedi';
import {
  AccessToken,
  AuthDomainError,
  AuthHttpError,
  InvalidPasswordError,
  InvalidResetTokenError,
  InvalidVerifyTokenError,
  UserAlreadyExistsError,
  UserAlreadyVerifiedError,
  UserHookError,
  UserManager,
} from '../../src';
import { buildApp, createUser, PASSWORD, User, type TestApp, DRIVER } from '../support/app';
import { bearerToken, login } from '../support/http';
import { gate, isExpressRequest, RecordingUserManager } from '../support/user-routes';

describe('UserManager (programmatic use)', () => {
  let t: TestApp;
  let manager: RecordingUserManager;

  before(async () => {
    t = await buildApp({ userManager: RecordingUserManager });
    manager = t.auth.userManager as RecordingUserManager;
  });
  after(() => t.close());
  beforeEach(() => manager.reset());

  const stored = (id: string) => t.dataSource.getRepository(User).findOneBy({ id });
  const tokensOf = (userId: string) => t.dataSource.getRepository(AccessToken).countBy({ userId });

  it('is the class given to Auth.configure, registered in typedi under both classes', () => {
    expect(manager).to.be.instanceOf(RecordingUserManager);
    expect(Container.get(UserManager)).to.equal(manager);
    expect(Container.get(RecordingUserManager)).to.equal(manager);
  });

  describe('create', () => {
    it('drops id, isActive, isSuperuser, isVerified, scopes and hashedPassword by default (safe)', async () => {
      const user = await manager.create({
        email: 'Safe@Example.com',
        password: PASSWORD,
        id: '00000000-0000-4000-8000-000000000000',
        isActive: false,
        isSuperuser: true,
        isVerified: true,
        scopes: ['superuser'],
        hashedPassword: 'forged',
        displayName: 'Kept',
      } as any);
      expect(user.id).not.to.equal('00000000-0000-4000-8000-000000000000');
      expect(await stored(user.id)).to.include({ email: 'safe@example.com', isActive: true, isSuperuser: false, isVerified: false, displayName: 'Kept' });
      expect(user.scopes).to.deep.equal([]);
      expect(user.hashedPassword).to.match(/^\$argon2id\$/);
    });

    it('sets them with { safe: false } (trusted code), but never takes a hash as given', async () => {
      const user = await manager.create(
        { email: 'root@example.com', password: PASSWORD, isSuperuser: true, isVerified: true, scopes: ['items:write'], hashedPassword: 'forged' } as any,
        { safe: false },
      );
      expect(await stored(user.id)).to.include({ isSuperuser: true, isVerified: true });
      expect(user.hashedPassword).to.match(/^\$argon2id\$/);
      expect(await manager.getScopes(user)).to.have.members(['items:write', 'superuser']);
    });

    it('throws UserAlreadyExistsError for a taken email in any case, and InvalidPasswordError for a weak password', async () => {
      await manager.create({ email: 'once@example.com', password: PASSWORD });
      manager.reset();
      let error: unknown = await manager.create({ email: 'ONCE@example.com', password: PASSWORD }).catch((e) => e);
      expect(error).to.be.instanceOf(UserAlreadyExistsError);
      error = await manager.create({ email: 'weak@example.com', password: 'password' }).catch((e) => e);
      expect(error).to.be.instanceOf(InvalidPasswordError);
      expect(await manager.getByEmail('weak@example.com')).to.equal(null);
      expect(manager.callsOf('onAfterRegister')).to.have.length(0);
    });

    it('lets the unique index decide between concurrent creations that both pass the early check', async () => {
      // Both calls wait inside validatePassword, so both run the early lookup before either inserts.
      const bothValidating = gate();
      let waiting = 0;
      manager.behaviour.validatePassword = async () => {
        if (++waiting === 2) bothValidating.open();
        await bothValidating.promise;
      };
      const results = await Promise.allSettled([
        manager.create({ email: 'Twin@example.com', password: PASSWORD }),
        manager.create({ email: 'twin@EXAMPLE.com', password: PASSWORD }),
      ]);
      expect(results.map((r) => r.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).to.be.instanceOf(UserAlreadyExistsError);
      expect(manager.callsOf('onAfterRegister')).to.have.length(1);
    });

    it('lets an error other than InvalidPasswordError from validatePassword through unchanged, creating nothing', async () => {
      const failure = new Error('breach-check service down');
      manager.behaviour.validatePassword = () => {
        throw failure;
      };
      expect(await manager.create({ email: 'unchecked@example.com', password: PASSWORD }).catch((e) => e)).to.equal(failure);
      expect(await manager.getByEmail('unchecked@example.com')).to.equal(null);
    });

    it('hands onAfterRegister the request given in the options', async () => {
      const request = { marker: 'framework request' };
      const user = await manager.create({ email: 'with-request@example.com', password: PASSWORD }, { request });
      expect(manager.callsOf('onAfterRegister')).to.deep.equal([[user, request]]);
    });

    it('wraps an after-hook failure in UserHookError (hook name, cause), the user being created', async () => {
      const cause = new Error('welcome mail failed');
      manager.behaviour.onAfterRegister = () => {
        throw cause;
      };
      const error = await manager.create({ email: 'hook-fails@example.com', password: PASSWORD }).catch((e) => e);
      expect(error).to.be.instanceOf(UserHookError);
      expect(error).to.include({ hook: 'onAfterRegister', cause, httpCode: 500, code: 'USER_HOOK_FAILED' });
      expect(error.stack).to.contain('Caused by: Error: welcome mail failed');
      expect(await manager.getByEmail('hook-fails@example.com')).to.include({ email: 'hook-fails@example.com' });
    });

    it('names the innermost hook when onAfterRegister calls requestVerify and its hook fails', async () => {
      manager.behaviour.onAfterRegister = async (user: User) => {
        await manager.requestVerify(user);
      };
      manager.behaviour.onAfterRequestVerify = () => {
        throw new Error('mailer down');
      };
      const error = await manager.create({ email: 'nested@example.com', password: PASSWORD }).catch((e) => e);
      expect(error).to.be.instanceOf(UserHookError);
      expect(error.hook).to.equal('onAfterRequestVerify');
    });
  });

  describe('update', () => {
    it('drops protected fields by default and never changes the id, even for trusted code', async () => {
      const user = await createUser(t.auth, { email: 'upd@example.com' });
      manager.reset();
      const safe = await manager.update(user, { isSuperuser: true, isActive: false, scopes: ['x'], isVerified: true, id: 'other' } as any);
      expect(safe).to.include({ id: user.id, isSuperuser: false, isActive: true, isVerified: false });
      const trusted = await manager.update(user, { isSuperuser: true, id: '00000000-0000-4000-8000-000000000000' } as any, { safe: false });
      expect(trusted).to.include({ id: user.id, isSuperuser: true });
      expect(await stored(user.id)).to.include({ isSuperuser: true });
      expect(manager.callsOf('onAfterUpdate').map(([, update]) => update)).to.deep.equal([{}, { isSuperuser: true }]);
    });

    it('resets isVerified on an email change unless trusted code sets it in the same update', async () => {
      const user = await createUser(t.auth, { email: 'verified@example.com', isVerified: true });
      const trusted = await manager.update(user, { email: 'verified2@example.com', isVerified: true }, { safe: false });
      expect(trusted.isVerified).to.equal(true);
      const safe = await manager.update(trusted, { email: 'verified3@example.com' });
      expect(safe.isVerified).to.equal(false);
    });

    it('throws UserAlreadyExistsError for a taken email and InvalidPasswordError for a weak password, writing nothing', async () => {
      const user = await createUser(t.auth, { email: 'u1@example.com' });
      await createUser(t.auth, { email: 'u2@example.com' });
      manager.reset();
      expect(await manager.update(user, { email: 'U2@example.com' }).catch((e) => e)).to.be.instanceOf(UserAlreadyExistsError);
      expect(await manager.update(user, { email: 'u3@example.com', password: 'short' }).catch((e) => e)).to.be.instanceOf(InvalidPasswordError);
      expect(await stored(user.id)).to.include({ email: 'u1@example.com', hashedPassword: user.hashedPassword });
      expect(manager.callsOf('onAfterUpdate')).to.have.length(0);
    });

    it('revokes stored tokens when the password changes, the user is deactivated, or rights shrink — not otherwise', async () => {
      const user = await createUser(t.auth, { email: 'revoke@example.com', scopes: ['a', 'b'], isSuperuser: true });
      const cases: [string, Record<string, unknown>, boolean][] = [
        ['a new display name', { displayName: 'x' }, false],
        ['an added scope', { scopes: ['a', 'b', 'c'] }, false],
        ['a removed scope', { scopes: ['a', 'c'] }, true],
        ['superuser taken away', { isSuperuser: false }, true],
        ['superuser given', { isSuperuser: true }, false],
        ['a new password', { password: 'another long passphrase' }, true],
        ['deactivation', { isActive: false }, true], // last: a deactivated user cannot log in again
      ];
      let current = user;
      let password = PASSWORD;
      for (const [what, update, revokes] of cases) {
        await bearerToken(t.app, 'db', 'revoke@example.com', password);
        expect(await tokensOf(user.id), what).to.be.greaterThan(0);
        current = await manager.update(current, update, { safe: false });
        if (typeof update.password === 'string') password = update.password;
        if (revokes) expect(await tokensOf(user.id), what).to.equal(0);
        else expect(await tokensOf(user.id), what).to.be.greaterThan(0);
      }
    });
  });

  describe('delete', () => {
    it('stops with nothing deleted or revoked when onBeforeDelete throws, the error passing through', async () => {
      const user = await createUser(t.auth, { email: 'keep@example.com' });
      await bearerToken(t.app, 'db', 'keep@example.com');
      const refusal = new Error('last admin');
      manager.behaviour.onBeforeDelete = () => {
        throw refusal;
      };
      expect(await manager.delete(user).catch((e) => e)).to.equal(refusal);
      expect(await stored(user.id)).not.to.equal(null);
      expect(await tokensOf(user.id)).to.equal(1);
      expect(manager.callsOf('onAfterDelete')).to.have.length(0);
    });

    it('deletes the user and their tokens, then calls onAfterDelete with the user and request', async () => {
      const user = await createUser(t.auth, { email: 'bye@example.com' });
      await bearerToken(t.app, 'db', 'bye@example.com');
      manager.reset();
      const request = { marker: 1 };
      await manager.delete(user, { request });
      expect(await stored(user.id)).to.equal(null);
      expect(await tokensOf(user.id)).to.equal(0);
      expect(manager.calls).to.deep.equal([
        { hook: 'onBeforeDelete', args: [user, request] },
        { hook: 'onAfterDelete', args: [user, request] },
      ]);
    });
  });

  describe('verification and reset tokens', () => {
    it('requestVerify issues no token (and calls no hook) for verified or inactive users', async () => {
      const verified = await createUser(t.auth, { email: 'already@example.com', isVerified: true });
      const inactive = await createUser(t.auth, { email: 'inactive@example.com', isActive: false });
      manager.reset();
      expect(await manager.requestVerify(verified)).to.equal(null);
      expect(await manager.requestVerify(inactive)).to.equal(null);
      expect(await manager.forgotPassword(inactive)).to.equal(null);
      expect(manager.calls).to.have.length(0);
    });

    it('verify and resetPassword work from code, handing hooks the request given', async () => {
      const user = await createUser(t.auth, { email: 'code@example.com' });
      const request = { from: 'a script' };
      const verifyToken = (await manager.requestVerify(user, request))!;
      expect(manager.callsOf('onAfterRequestVerify')).to.deep.equal([[user, verifyToken, request]]);
      const verified = await manager.verify(verifyToken, request);
      expect(verified.isVerified).to.equal(true);
      expect(manager.callsOf('onAfterVerify')[0][1]).to.equal(request);

      const resetToken = (await manager.forgotPassword(verified, request))!;
      await manager.resetPassword(resetToken, 'a scripted new passphrase', request);
      expect(manager.callsOf('onAfterResetPassword')[0][1]).to.equal(request);
      expect((await login(t.app, 'jwt', 'code@example.com', 'a scripted new passphrase')).status).to.equal(200);
    });

    it('code gets domain errors, never HTTP ones: bad or used tokens, a verified user, a refused password', async () => {
      const user = await createUser(t.auth, { email: 'domain@example.com' });
      const refusal = (promise: Promise<unknown>) =>
        promise.then(
          () => null,
          (error: unknown) => error,
        );
      for (const error of [await refusal(manager.verify('not a token')), await refusal(manager.resetPassword('not a token', 'a long passphrase'))]) {
        expect(error).to.be.instanceOf(AuthDomainError);
        expect(error).not.to.be.instanceOf(AuthHttpError);
        expect(error).not.to.have.property('httpCode');
      }
      expect(await refusal(manager.verify('not a token'))).to.be.instanceOf(InvalidVerifyTokenError);
      const verified = await manager.verify((await manager.requestVerify(user))!);
      expect(await refusal(manager.verify(t.auth.userManager['context'].tokens.issueVerifyToken(verified)))).to.be.instanceOf(UserAlreadyVerifiedError);
      const resetToken = (await manager.forgotPassword(verified))!;
      expect(await refusal(manager.resetPassword(resetToken, 'short'))).to.be.instanceOf(InvalidPasswordError);
      await manager.resetPassword(resetToken, 'another long passphrase');
      expect(await refusal(manager.resetPassword(resetToken, 'yet another long passphrase')), 'single use').to.be.instanceOf(InvalidResetTokenError);
    });
  });

  describe('reads and scopes', () => {
    it('get answers null for unknown and malformed ids; getByEmail ignores case', async () => {
      const user = await createUser(t.auth, { email: 'reader@example.com' });
      expect(await manager.get(user.id)).to.include({ email: 'reader@example.com' });
      for (const id of ['3f1c2b6e-9a1d-4c3e-8f2a-0123456789ab', 'nope', '', "' OR 1=1 --"]) expect(await manager.get(id), id).to.equal(null);
      expect(await manager.getByEmail('READER@example.COM')).to.include({ id: user.id });
    });

    it('getScopes gives the scopes column, plus superuser for superusers', async () => {
      const plain = await createUser(t.auth, { email: 'scoped@example.com', scopes: ['a'] });
      const root = await createUser(t.auth, { email: 'super@example.com', scopes: ['a'], isSuperuser: true });
      expect(await manager.getScopes(plain)).to.deep.equal(['a']);
      expect(await manager.getScopes(root)).to.deep.equal(['a', 'superuser']);
    });
  });

  describe('onAfterLogin', () => {
    it('is called with the user, the Express request and response on a successful login only', async () => {
      const user = await createUser(t.auth, { email: 'login-hook@example.com' });
      await createUser(t.auth, { email: 'login-inactive@example.com', isActive: false });
      manager.reset();
      expect((await login(t.app, 'jwt', 'login-hook@example.com', 'wrong password here')).status).to.equal(400);
      expect((await login(t.app, 'jwt', 'nobody@example.com')).status).to.equal(400);
      expect((await login(t.app, 'jwt', 'login-inactive@example.com')).status).to.equal(400);
      expect(manager.callsOf('onAfterLogin')).to.have.length(0);

      expect((await login(t.app, 'jwt', 'login-hook@example.com')).status).to.equal(200);
      const [[hookUser, req, res]] = manager.callsOf('onAfterLogin');
      expect(hookUser).to.include({ id: user.id });
      expect(isExpressRequest(req, 'POST', '/auth/jwt/login')).to.equal(true);
      // Express hands its request and response; Koa its ctx.request and ctx.response.
      expect(DRIVER === 'koa' ? res.ctx.request : res.req).to.equal(req);
      expect(typeof (DRIVER === 'koa' ? res.set : res.setHeader)).to.equal('function');
    });
  });
});
