import { expect } from 'chai';
import request from 'supertest';
import { JsonController } from 'routing-controllers';
import { ResetPasswordController, type AuthEvent } from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp, User } from '../support/app';
import { bearerToken, login } from '../support/http';

describe('auth events', () => {
  let t: TestApp;
  const events: AuthEvent[] = [];
  const allEvents: AuthEvent[] = [];
  const secrets: string[] = [PASSWORD, 'wrong password!', 'the new passphrase 2026'];
  const output: string[] = [];
  const originals = { log: console.log, error: console.error, warn: console.warn, info: console.info };

  before(async () => {
    @JsonController('/auth')
    class Reset extends ResetPasswordController {}
    t = await buildApp({
      extraControllers: [Reset],
      onEvent: (event) => {
        events.push(event);
        allEvents.push(event);
      },
      rateLimits: { limits: { login: { perIp: false, perAccount: { points: 4, durationSeconds: 60 } } } },
    });
    await createUser(t.auth, { email: 'events@example.com' });
    // Everything the library prints while the suite runs is kept, to look for secrets in it.
    for (const name of Object.keys(originals) as (keyof typeof originals)[]) {
      console[name] = (...args: unknown[]) =>
        void output.push(args.map((a) => (a instanceof Error ? `${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    }
  });
  after(async () => {
    Object.assign(console, originals);
    await t.close();
  });

  const ofType = <T extends AuthEvent['type']>(type: T) => events.filter((e): e is Extract<AuthEvent, { type: T }> => e.type === type);

  it('reports logins, failures (with a reason) and logouts', async () => {
    const token = await bearerToken(t.app, 'jwt', 'events@example.com');
    secrets.push(token);
    await login(t.app, 'jwt', 'events@example.com', 'wrong password!');
    await login(t.app, 'jwt', 'nobody@example.com', 'wrong password!');
    const dbToken = await bearerToken(t.app, 'db', 'events@example.com');
    secrets.push(dbToken);
    await request(t.app).post('/auth/db/logout').set('Authorization', `Bearer ${dbToken}`);
    const user = (await t.auth.userManager.getByEmail('events@example.com'))!;
    expect(ofType('login.succeeded').map((e) => e.backend)).to.deep.equal(['jwt', 'db']);
    expect(ofType('login.succeeded')[0]).to.include({ userId: user.id });
    expect(ofType('login.failed').map((e) => [e.email, e.reason])).to.deep.equal([
      ['events@example.com', 'bad_credentials'],
      ['nobody@example.com', 'bad_credentials'],
    ]);
    expect(ofType('logout')).to.have.length(1);
    expect(ofType('logout')[0]).to.include({ userId: user.id, backend: 'db' });
    // The logged-out token is now unknown to the database backend.
    events.length = 0;
    await request(t.app).get('/items').set('Authorization', `Bearer ${dbToken}`);
    expect(ofType('token.rejected').map((e) => [e.backend, e.reason])).to.deep.include(['db', 'unknown']);
  });

  it('reports why tokens are rejected: malformed, bad signature, expired, unknown or inactive user', async () => {
    const user = (await t.auth.userManager.getByEmail('events@example.com'))!;
    const valid = await t.auth.createToken(user);
    const expired = await t.auth.createToken(user, { lifetimeSeconds: 1 });
    secrets.push(valid, expired);
    const [h, p, s] = valid.split('.');
    const flipped = `${h}.${p}.${s.slice(0, 4)}${s[4] === 'A' ? 'B' : 'A'}${s.slice(5)}`;
    const reasonFor = async (token: string) => {
      events.length = 0;
      await request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
      return ofType('token.rejected').find((e) => e.backend === 'jwt')?.reason;
    };
    expect(await reasonFor('not-a-token')).to.equal('malformed');
    expect(await reasonFor(flipped)).to.equal('bad_signature');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await reasonFor(expired)).to.equal('expired');
    await t.dataSource.getRepository(User).update({ id: user.id }, { isActive: false });
    expect(await reasonFor(valid)).to.equal('inactive_user');
    await t.dataSource.getRepository(User).update({ id: user.id }, { isActive: true });
    const ghost = await createUser(t.auth, { email: 'ghost@example.com' });
    const ghostToken = await t.auth.createToken(ghost);
    secrets.push(ghostToken);
    await t.dataSource.getRepository(User).delete({ id: ghost.id });
    expect(await reasonFor(ghostToken)).to.equal('unknown_user');
    // A token one backend does not recognise but another accepts is no rejection.
    events.length = 0;
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${valid}`)).status).to.equal(200);
    expect(ofType('token.rejected')).to.deep.equal([]);
  });

  it('reports password resets and rate limiting', async () => {
    const user = (await t.auth.userManager.getByEmail('events@example.com'))!;
    const resetToken = (await t.auth.userManager.forgotPassword(user))!;
    secrets.push(resetToken);
    const res = await request(t.app).post('/auth/reset-password').send({ token: resetToken, password: 'the new passphrase 2026' });
    expect(res.status).to.equal(200);
    expect(ofType('password.reset')).to.deep.equal([{ type: 'password.reset', userId: user.id }]);
    for (let i = 0; i < 5; i++) await login(t.app, 'cookie', 'limited@example.com', 'wrong password!');
    const limited = ofType('rate.limited');
    expect(limited).to.have.length.greaterThan(0);
    expect(limited[0]).to.include({ action: 'login' });
  });

  it('never carries a token or a password, in events or in anything printed', () => {
    expect(allEvents.length).to.be.greaterThan(10);
    const everything = JSON.stringify(allEvents) + output.join('\n');
    for (const secret of secrets) expect(everything, 'a secret leaked').not.to.contain(secret);
    expect(everything).not.to.contain('$argon2');
  });
});
