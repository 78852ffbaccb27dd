/**
 * TOTP and recovery codes over HTTP: enrolment, the login that stops for a second factor and
 * finishes at POST /2fa/verify, `amr` and `@Authorized({ factors: 2 })`, and the attacks on each
 * step (replay, reuse, another user's or backend's token, bad input).
 */
import { expect } from 'chai';
import { createHash, randomUUID } from 'crypto';
import { Authorized, CurrentUser, Get, JsonController } from 'routing-controllers';
import request from 'supertest';
import {
  AuthenticationBackend,
  BearerTransport,
  CookieTransport,
  DatabaseStrategy,
  JwtStrategy,
  RecoveryCode,
  TwoFactorSecret,
  UserManager,
  type AuthEvent,
} from '../../src';
import { buildApp, createUser, PASSWORD, SECRET, type TestApp, User } from '../support/app';
import { bearerToken, cookieFrom } from '../support/http';
import { refreshWith } from '../support/sessions';
import { enrolTotp, jwtClaims, mfaToken, totpCode, twoFactorRoutes } from '../support/two-factor';

@JsonController('/strong')
class StrongController {
  @Authorized({ factors: 2 })
  @Get('/')
  strong(@CurrentUser() user: User) {
    return { email: user.email };
  }
}

let afterLogins = 0;
class CountingManager extends UserManager<User> {
  override async onAfterLogin(): Promise<void> {
    afterLogins++;
  }
}

describe('two-factor login with TOTP and recovery codes', function () {
  this.timeout(30_000);
  let t: TestApp;
  const events: AuthEvent[] = [];

  before(async () => {
    t = await buildApp({
      userManager: CountingManager,
      twoFactor: { issuer: 'RCA Test' },
      onEvent: (event) => events.push(event),
      backends: [
        new AuthenticationBackend({
          name: 'jwt',
          transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
          strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }),
        }),
        new AuthenticationBackend({
          name: 'jwt-r',
          transport: new BearerTransport({ tokenUrl: '/auth/jwt-r/login' }),
          strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }),
          refresh: {},
        }),
        new AuthenticationBackend({ name: 'cookie', transport: new CookieTransport({ cookieMaxAge: 3600 }), strategy: new DatabaseStrategy() }),
      ],
      extraControllers: (auth) => [twoFactorRoutes(auth), twoFactorRoutes(auth, '/auth/cookie', 'cookie'), StrongController],
    });
    await t.auth.ready({ controllers: [twoFactorRoutes(t.auth)] });
  });
  after(() => t?.close());

  let email: string;
  let user: User;
  beforeEach(async () => {
    email = `tf-${randomUUID()}@example.com`;
    user = await createUser(t.auth, { email });
  });

  /** A fresh user with TOTP on: their secret and recovery codes. */
  async function enrolled(): Promise<{ secret: string; recoveryCodes: string[] }> {
    return enrolTotp(t.app, await bearerToken(t.app, 'jwt', email));
  }
  const verify = (body: Record<string, unknown>, route = '/auth') => request(t.app).post(`${route}/2fa/verify`).send(body);
  const get = (path: string, token: string) => request(t.app).get(path).set('Authorization', `Bearer ${token}`);

  describe('enrolment', () => {
    it('POST /2fa/totp answers a pending secret, its otpauth URL and an SVG QR code; confirm enables it and answers 10 recovery codes once', async () => {
      const token = await bearerToken(t.app, 'jwt', email);
      const begin = await request(t.app).post('/auth/2fa/totp').set('Authorization', `Bearer ${token}`).send({});
      expect(begin.status, JSON.stringify(begin.body)).to.equal(200);
      expect(begin.headers['cache-control']).to.equal('no-store');
      const { secret, otpauthUrl, qrSvg } = begin.body;
      expect(secret).to.match(/^[A-Z2-7]{32}$/);
      const url = new URL(otpauthUrl);
      expect(url.protocol).to.equal('otpauth:');
      expect(url.host).to.equal('totp');
      expect(decodeURIComponent(url.pathname)).to.equal(`/RCA Test:${email}`);
      expect(Object.fromEntries(url.searchParams)).to.include({ secret, issuer: 'RCA Test', algorithm: 'SHA1', digits: '6', period: '30' });
      expect(qrSvg).to.match(/^<svg[\s\S]*<\/svg>\s*$/);

      // Pending: not yet a second factor.
      expect((await get('/auth/2fa', token)).body).to.deep.equal({ methods: [], totp: { enabled: false }, recovery_codes_remaining: 0 });
      const stillPlain = await request(t.app).post('/auth/jwt/login').type('form').send({ username: email, password: PASSWORD });
      expect(stillPlain.body.access_token).to.be.a('string');

      const wrong = await request(t.app)
        .post('/auth/2fa/totp/confirm')
        .set('Authorization', `Bearer ${token}`)
        .send({ code: '000000' === totpCode(secret) ? '111111' : '000000' });
      expect(wrong.status).to.equal(400);
      expect(wrong.body.code).to.equal('MFA_CODE_INVALID');

      const confirm = await request(t.app)
        .post('/auth/2fa/totp/confirm')
        .set('Authorization', `Bearer ${token}`)
        .send({ code: totpCode(secret) });
      expect(confirm.status, JSON.stringify(confirm.body)).to.equal(200);
      const codes = confirm.body.recovery_codes as string[];
      expect(codes).to.have.length(10);
      expect(new Set(codes).size).to.equal(10);
      for (const code of codes) expect(code).to.match(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
      expect((await get('/auth/2fa', token)).body).to.deep.equal({ methods: ['totp', 'recovery_code'], totp: { enabled: true }, recovery_codes_remaining: 10 });
      expect(events).to.deep.include({ type: 'mfa.enabled', userId: user.id, method: 'totp', replaced: false });

      // At rest: digests of the codes only, and the TOTP secret sealed.
      const rows = await t.dataSource.getRepository(RecoveryCode).findBy({ userId: user.id });
      const digests = rows.map((r) => r.digest).sort();
      expect(digests).to.deep.equal(codes.map((c) => createHash('sha256').update(c.replace('-', '')).digest('hex')).sort());
      const stored = await t.dataSource.getRepository(TwoFactorSecret).findOneByOrFail({ userId: user.id });
      expect(stored.secret).to.be.a('string').and.not.contain(secret);
      expect(stored.pendingSecret).to.equal(null);
      expect(JSON.stringify(stored)).to.not.contain(secret);
    });

    it('needs the current password or a recent sign-in: a stale sign-in alone is refused, a wrong password too', async () => {
      const stale = await t.auth.createToken(user, { backend: 'jwt', authTime: new Date(Date.now() - 3600_000), amr: ['pwd'] });
      const refused = await request(t.app).post('/auth/2fa/totp').set('Authorization', `Bearer ${stale}`).send({});
      expect(refused.status).to.equal(401);
      expect(refused.body.code).to.equal('REAUTHENTICATION_REQUIRED');
      const wrong = await request(t.app).post('/auth/2fa/totp').set('Authorization', `Bearer ${stale}`).send({ currentPassword: 'not the password' });
      expect(wrong.status).to.equal(400);
      expect(wrong.body.code).to.equal('CURRENT_PASSWORD_INVALID');
      const right = await request(t.app).post('/auth/2fa/totp').set('Authorization', `Bearer ${stale}`).send({ currentPassword: PASSWORD });
      expect(right.status).to.equal(200);
      const anonymous = await request(t.app).post('/auth/2fa/totp').send({});
      expect(anonymous.status).to.equal(401);
      expect(anonymous.body.code).to.equal('UNAUTHORIZED');
    });

    it('confirm with nothing pending is MFA_NOT_ENROLLED; a re-enrolment keeps the old authenticator until the new one is confirmed', async () => {
      const token = await bearerToken(t.app, 'jwt', email);
      const nothing = await request(t.app).post('/auth/2fa/totp/confirm').set('Authorization', `Bearer ${token}`).send({ code: '123456' });
      expect(nothing.status).to.equal(400);
      expect(nothing.body.code).to.equal('MFA_NOT_ENROLLED');

      const { secret: first } = await enrolTotp(t.app, token);
      const begin = await request(t.app).post('/auth/2fa/totp').set('Authorization', `Bearer ${token}`).send({});
      const second = begin.body.secret as string;
      expect(second).to.not.equal(first);
      // Still the first authenticator at login while the second is pending.
      const login = await verify({ mfa_token: await mfaToken(t.app, 'jwt', email, PASSWORD), code: totpCode(first, 1) });
      expect(login.status, JSON.stringify(login.body)).to.equal(200);
      const confirm = await request(t.app)
        .post('/auth/2fa/totp/confirm')
        .set('Authorization', `Bearer ${token}`)
        .send({ code: totpCode(second) });
      expect(confirm.status).to.equal(200);
      expect(events).to.deep.include({ type: 'mfa.enabled', userId: user.id, method: 'totp', replaced: true });
      const withOld = await verify({ mfa_token: await mfaToken(t.app, 'jwt', email, PASSWORD), code: totpCode(first, -1) });
      expect(withOld.status).to.equal(400);
      expect(withOld.body.code).to.equal('MFA_CODE_INVALID');
    });
  });

  describe('login with a second factor', () => {
    it('the password step answers mfa_required and issues nothing: no token, cookie, session, login.succeeded or onAfterLogin', async () => {
      await enrolled();
      const before = { events: events.filter((e) => e.type === 'login.succeeded').length, afterLogins };
      for (const backend of ['jwt', 'jwt-r', 'cookie']) {
        const res = await request(t.app).post(`/auth/${backend}/login`).type('form').send({ username: email, password: PASSWORD });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(Object.keys(res.body).sort()).to.deep.equal(['methods', 'mfa_required', 'mfa_token']);
        expect(res.body.mfa_required).to.equal(true);
        expect(res.body.methods).to.deep.equal(['totp', 'recovery_code']);
        expect(res.body.mfa_token).to.match(/^[A-Za-z0-9_-]{43}$/);
        expect(res.headers['set-cookie']).to.equal(undefined);
        expect(res.headers['cache-control']).to.equal('no-store');
        // The mfa_token is no credential.
        expect((await get('/items', res.body.mfa_token)).status).to.equal(401);
      }
      expect(await t.auth.sessions.listForUser(user.id)).to.deep.equal([]);
      expect(events.filter((e) => e.type === 'login.succeeded').length).to.equal(before.events);
      expect(afterLogins).to.equal(before.afterLogins);
    });

    it('POST /2fa/verify with the code logs in through the same path (event, hook), with amr pwd+otp and auth_time now; @Authorized({ factors: 2 }) passes', async () => {
      const { secret } = await enrolled();
      const before = { events: events.filter((e) => e.type === 'login.succeeded').length, afterLogins };
      const res = await verify({ mfa_token: await mfaToken(t.app, 'jwt', email, PASSWORD), code: totpCode(secret, 1) });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.token_type).to.equal('bearer');
      const claims = jwtClaims(res.body.access_token);
      expect(claims.amr).to.deep.equal(['pwd', 'otp']);
      expect(Math.abs(Number(claims.auth_time) - Date.now() / 1000)).to.be.lessThan(5);
      expect(events.filter((e) => e.type === 'login.succeeded').length).to.equal(before.events + 1);
      expect(afterLogins).to.equal(before.afterLogins + 1);
      expect((await get('/strong', res.body.access_token)).body).to.deep.equal({ email });
      expect((await get('/items', res.body.access_token)).body).to.deep.equal({ owner: email });
    });

    it('a password-only credential is refused by @Authorized({ factors: 2 }) with REAUTHENTICATION_REQUIRED and an RFC 9470 challenge', async () => {
      const token = await bearerToken(t.app, 'jwt', email);
      const res = await get('/strong', token);
      expect(res.status).to.equal(401);
      expect(res.body).to.deep.include({ code: 'REAUTHENTICATION_REQUIRED', details: { factors: 2 } });
      expect(res.headers['www-authenticate']).to.match(/^Bearer error="insufficient_user_authentication"/);
      expect(res.headers['www-authenticate']).to.contain('acr_values="mfa"');
      // A token made in code without a sign-in proves no factor, whatever amr it claims.
      const made = await t.auth.createToken(user, { backend: 'jwt', amr: ['pwd', 'otp'] });
      expect((await get('/strong', made)).status).to.equal(401);
    });

    it('a refresh keeps the session’s amr: the refreshed token still passes factors: 2', async () => {
      const { secret } = await enrolled();
      const res = await verify({ mfa_token: await mfaToken(t.app, 'jwt-r', email, PASSWORD), code: totpCode(secret, 1) });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const refreshed = await refreshWith(t.app, 'jwt-r', res.body.refresh_token);
      expect(refreshed.status, JSON.stringify(refreshed.body)).to.equal(200);
      expect(jwtClaims(refreshed.body.access_token).amr).to.deep.equal(['pwd', 'otp']);
      expect((await get('/strong', refreshed.body.access_token)).status).to.equal(200);
    });

    it('a cookie login is finished with the cookie backend’s answer (204 + Set-Cookie), also at a controller restricted to it', async () => {
      const { secret } = await enrolled();
      const res = await verify({ mfa_token: await mfaToken(t.app, 'cookie', email, PASSWORD), code: totpCode(secret, 1) }, '/auth/cookie');
      expect(res.status, JSON.stringify(res.body)).to.equal(204);
      const cookie = cookieFrom(res);
      expect(cookie).to.be.a('string');
      const items = await request(t.app).get('/items').set('Cookie', cookie!);
      expect(items.body).to.deep.equal({ owner: email });
    });

    it('accepts a code of the previous or next time step (±1), not two steps away', async () => {
      const token = await bearerToken(t.app, 'jwt', email);
      const { secret } = (await request(t.app).post('/auth/2fa/totp').set('Authorization', `Bearer ${token}`).send({})).body;
      const confirm = (steps: number) =>
        request(t.app)
          .post('/auth/2fa/totp/confirm')
          .set('Authorization', `Bearer ${token}`)
          .send({ code: totpCode(secret, steps) });
      for (const steps of [-3, -2, 2, 3]) expect((await confirm(steps)).body.code, `${steps} steps`).to.equal('MFA_CODE_INVALID');
      expect((await confirm(-1)).status).to.equal(200);
      const pending = await mfaToken(t.app, 'jwt', email, PASSWORD);
      expect((await verify({ mfa_token: pending, code: totpCode(secret, 2) })).body.code).to.equal('MFA_CODE_INVALID');
      expect((await verify({ mfa_token: pending, code: totpCode(secret, 1) })).status).to.equal(200);
    });

    it('a recovery code finishes a login once (any case, with or without the dash); used twice it is MFA_CODE_INVALID', async () => {
      const { recoveryCodes } = await enrolled();
      const [first, second] = recoveryCodes;
      const res = await verify({ mfa_token: await mfaToken(t.app, 'jwt', email, PASSWORD), recovery_code: first.toUpperCase().replace('-', '') });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(jwtClaims(res.body.access_token).amr).to.deep.equal(['pwd', 'otp']);
      expect(events).to.deep.include({ type: 'mfa.recovery_code_used', userId: user.id, remaining: 9 });
      const again = await verify({ mfa_token: await mfaToken(t.app, 'jwt', email, PASSWORD), recovery_code: first });
      expect(again.status).to.equal(400);
      expect(again.body.code).to.equal('MFA_CODE_INVALID');
      expect((await verify({ mfa_token: await mfaToken(t.app, 'jwt', email, PASSWORD), recovery_code: second })).status).to.equal(200);
    });
  });

  describe('attacks', () => {
    it('a replayed TOTP code (same time step) is refused, even on a fresh mfa_token; the token stays usable with a new code', async () => {
      const { secret } = await enrolled();
      const code = totpCode(secret, 1);
      expect((await verify({ mfa_token: await mfaToken(t.app, 'jwt', email, PASSWORD), code })).status).to.equal(200);
      const token = await mfaToken(t.app, 'jwt', email, PASSWORD);
      const replay = await verify({ mfa_token: token, code });
      expect(replay.status).to.equal(400);
      expect(replay.body.code).to.equal('MFA_CODE_INVALID');
      // An earlier step than the last one used is refused too.
      expect((await verify({ mfa_token: token, code: totpCode(secret, 0) })).body.code).to.equal('MFA_CODE_INVALID');
      expect(events.filter((e) => e.type === 'mfa.failed' && e.userId === user.id && e.method === 'totp')).to.have.length(2);
    });

    it('a used mfa_token is refused (MFA_TOKEN_INVALID), whatever the code', async () => {
      const { secret, recoveryCodes } = await enrolled();
      const token = await mfaToken(t.app, 'jwt', email, PASSWORD);
      expect((await verify({ mfa_token: token, code: totpCode(secret, 1) })).status).to.equal(200);
      const reuse = await verify({ mfa_token: token, recovery_code: recoveryCodes[0] });
      expect(reuse.status).to.equal(400);
      expect(reuse.body.code).to.equal('MFA_TOKEN_INVALID');
      // The refused reuse did not burn the recovery code.
      expect((await verify({ mfa_token: await mfaToken(t.app, 'jwt', email, PASSWORD), recovery_code: recoveryCodes[0] })).status).to.equal(200);
    });

    it('two concurrent verifies of one token with the right code: exactly one login', async () => {
      const { secret } = await enrolled();
      const token = await mfaToken(t.app, 'jwt', email, PASSWORD);
      const code = totpCode(secret, 1);
      const answers = await Promise.all([verify({ mfa_token: token, code }), verify({ mfa_token: token, code })]);
      expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 400]);
      expect(answers.find((a) => a.status === 400)!.body.code).to.be.oneOf(['MFA_CODE_INVALID', 'MFA_TOKEN_INVALID']);
    });

    it('two concurrent verifies of one token with two different right proofs (code, recovery code): exactly one login', async () => {
      const { secret, recoveryCodes } = await enrolled();
      const token = await mfaToken(t.app, 'jwt', email, PASSWORD);
      const answers = await Promise.all([
        verify({ mfa_token: token, code: totpCode(secret, 1) }),
        verify({ mfa_token: token, recovery_code: recoveryCodes[0] }),
      ]);
      expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 400]);
      expect(answers.find((a) => a.status === 400)!.body.code).to.equal('MFA_TOKEN_INVALID');
    });

    it("the mfa_token carries its user: A's token with B's code is refused, and A's token only ever logs A in", async () => {
      const a = await enrolled();
      const emailB = `tf-b-${randomUUID()}@example.com`;
      await createUser(t.auth, { email: emailB });
      const b = await enrolTotp(t.app, await bearerToken(t.app, 'jwt', emailB));
      const tokenA = await mfaToken(t.app, 'jwt', email, PASSWORD);
      const codeB = totpCode(b.secret, 1);
      if (codeB !== totpCode(a.secret, 1)) {
        const crossed = await verify({ mfa_token: tokenA, code: codeB });
        expect(crossed.status).to.equal(400);
        expect(crossed.body.code).to.equal('MFA_CODE_INVALID');
      }
      const withB = await verify({ mfa_token: tokenA, recovery_code: b.recoveryCodes[0] });
      expect(withB.body.code).to.equal('MFA_CODE_INVALID');
      const res = await verify({ mfa_token: tokenA, code: totpCode(a.secret, 1) });
      expect(res.status).to.equal(200);
      expect((await get('/items', res.body.access_token)).body).to.deep.equal({ owner: email });
    });

    it("another backend's mfa_token is refused where only that backend is served, and elsewhere yields its own backend's login", async () => {
      const { secret } = await enrolled();
      const token = await mfaToken(t.app, 'jwt', email, PASSWORD);
      const atCookie = await verify({ mfa_token: token, code: totpCode(secret, 1) }, '/auth/cookie');
      expect(atCookie.status).to.equal(400);
      expect(atCookie.body.code).to.equal('MFA_TOKEN_INVALID');
      expect(atCookie.headers['set-cookie']).to.equal(undefined);
      // Refused before the code was looked at: the same code still finishes it where the token belongs, as a bearer login.
      const own = await verify({ mfa_token: token, code: totpCode(secret, 1) });
      expect(own.status).to.equal(200);
      expect(own.body.token_type).to.equal('bearer');
      expect(own.headers['set-cookie']).to.equal(undefined);
    });

    it('an unknown or forged mfa_token is MFA_TOKEN_INVALID; bad codes and bodies are 400s, never a 500', async () => {
      const { secret } = await enrolled();
      const token = await mfaToken(t.app, 'jwt', email, PASSWORD);
      const cases: [Record<string, unknown>, string][] = [
        [{ mfa_token: 'A'.repeat(43), code: totpCode(secret) }, 'MFA_TOKEN_INVALID'],
        [{ mfa_token: token.slice(0, 42), code: totpCode(secret) }, 'MFA_TOKEN_INVALID'],
        [{ mfa_token: `${token}x`, code: totpCode(secret) }, 'MFA_TOKEN_INVALID'],
        [{ mfa_token: 'x'.repeat(5000), code: '123456' }, 'VALIDATION_ERROR'],
        [{ mfa_token: 12345, code: '123456' }, 'VALIDATION_ERROR'],
        [{ mfa_token: ['a'], code: '123456' }, 'VALIDATION_ERROR'],
        [{ code: '123456' }, 'VALIDATION_ERROR'],
        [{ mfa_token: token }, 'VALIDATION_ERROR'],
        [{ mfa_token: token, code: '123456', recovery_code: 'abcde-fghij' }, 'VALIDATION_ERROR'],
        [{ mfa_token: token, code: 123456 }, 'MFA_CODE_INVALID'],
        [{ mfa_token: token, code: ['123456'] }, 'MFA_CODE_INVALID'],
        [{ mfa_token: token, code: { $gt: '' } }, 'MFA_CODE_INVALID'],
        [{ mfa_token: token, code: '12345' }, 'MFA_CODE_INVALID'],
        [{ mfa_token: token, code: '1234567' }, 'MFA_CODE_INVALID'],
        [{ mfa_token: token, code: '' }, 'MFA_CODE_INVALID'],
        [{ mfa_token: token, code: '9'.repeat(10_000) }, 'MFA_CODE_INVALID'],
        [{ mfa_token: token, code: 'abcdef' }, 'MFA_CODE_INVALID'],
        [{ mfa_token: token, recovery_code: 'x'.repeat(10_000) }, 'MFA_CODE_INVALID'],
        [{ mfa_token: token, recovery_code: 'short' }, 'MFA_CODE_INVALID'],
        [{ mfa_token: token, recovery_code: 42 }, 'MFA_CODE_INVALID'],
      ];
      for (const [body, code] of cases) {
        const res = await verify(body);
        expect(res.status, `${JSON.stringify(body).slice(0, 80)} → ${JSON.stringify(res.body)}`).to.equal(400);
        expect(res.body.code, JSON.stringify(body).slice(0, 80)).to.equal(code);
      }
      const huge = await verify({ mfa_token: token, code: '9'.repeat(100_000) });
      expect(huge.status).to.equal(413);
      expect(huge.body.code).to.equal('PAYLOAD_TOO_LARGE');
      // None of it used the token up.
      expect((await verify({ mfa_token: token, code: totpCode(secret, 1) })).status).to.equal(200);
      // The enrolment routes validate their bodies up front.
      const signedIn = await t.auth.createToken(user, { backend: 'jwt', authTime: new Date(), amr: ['pwd', 'otp'] });
      for (const body of [{ code: 123456 }, { code: 'x'.repeat(65) }, { code: ['123456'] }, {}]) {
        const res = await request(t.app).post('/auth/2fa/totp/confirm').set('Authorization', `Bearer ${signedIn}`).send(body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_ERROR');
      }
      for (const body of [{ mfa_token: 42 }, { currentPassword: { x: 1 } }]) {
        const res = await request(t.app).post('/auth/2fa/totp').set('Authorization', `Bearer ${signedIn}`).send(body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_ERROR');
      }
    });

    it('a user without a second factor has nothing to verify: recovery_code for a user with none is MFA_NOT_ENROLLED', async () => {
      const { secret } = await enrolled();
      const token = await bearerToken(t.app, 'jwt-r', email).catch(() => undefined);
      expect(token).to.equal(undefined); // the login stops for the second factor
      // Use the codes up and regenerate none: recovery_code is then no enrolled method.
      await t.dataSource.getRepository(RecoveryCode).update({ userId: user.id }, { usedAt: new Date() });
      const pending = await request(t.app).post('/auth/jwt/login').type('form').send({ username: email, password: PASSWORD });
      expect(pending.body.methods).to.deep.equal(['totp']);
      const res = await verify({ mfa_token: pending.body.mfa_token, recovery_code: 'abcde-fghjk' });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('MFA_NOT_ENROLLED');
      expect((await verify({ mfa_token: pending.body.mfa_token, code: totpCode(secret, 1) })).status).to.equal(200);
    });

    it('a user deactivated while the login waits cannot finish it', async () => {
      const { secret } = await enrolled();
      const token = await mfaToken(t.app, 'jwt', email, PASSWORD);
      await t.dataSource.getRepository(User).update({ id: user.id }, { isActive: false });
      const res = await verify({ mfa_token: token, code: totpCode(secret, 1) });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('MFA_TOKEN_INVALID');
    });
  });

  describe('turning TOTP off and new recovery codes', () => {
    it("DELETE /2fa/totp needs a recent sign-in or the password, ends the user's other sessions, and login needs no second factor after", async () => {
      const { secret } = await enrolled();
      const sessionLogin = async (steps: number) => {
        const res = await verify({ mfa_token: await mfaToken(t.app, 'jwt-r', email, PASSWORD), code: totpCode(secret, steps) });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        return res.body as { access_token: string; refresh_token: string };
      };
      const other = await sessionLogin(0);
      const mine = await sessionLogin(1);
      const stale = await t.auth.createToken(user, { backend: 'jwt', authTime: new Date(Date.now() - 3600_000), amr: ['pwd'] });
      const refused = await request(t.app).delete('/auth/2fa/totp').set('Authorization', `Bearer ${stale}`).send({});
      expect(refused.status).to.equal(401);
      expect(refused.body.code).to.equal('REAUTHENTICATION_REQUIRED');

      const off = await request(t.app).delete('/auth/2fa/totp').set('Authorization', `Bearer ${mine.access_token}`).send({});
      expect(off.status, JSON.stringify(off.body)).to.equal(204);
      expect(events).to.deep.include({ type: 'mfa.disabled', userId: user.id, method: 'totp' });
      expect((await refreshWith(t.app, 'jwt-r', other.refresh_token)).status).to.equal(400);
      expect((await refreshWith(t.app, 'jwt-r', mine.refresh_token)).status).to.equal(200);
      expect(await t.dataSource.getRepository(RecoveryCode).countBy({ userId: user.id })).to.equal(0);
      const plain = await request(t.app).post('/auth/jwt/login').type('form').send({ username: email, password: PASSWORD });
      expect(plain.body.access_token).to.be.a('string');
      const again = await request(t.app).delete('/auth/2fa/totp').set('Authorization', `Bearer ${plain.body.access_token}`).send({});
      expect(again.status).to.equal(400);
      expect(again.body.code).to.equal('MFA_NOT_ENROLLED');
    });

    it("POST /2fa/recovery-codes replaces the codes (the old ones stop working) and ends the user's other sessions", async () => {
      const { secret, recoveryCodes } = await enrolled();
      const other = await verify({ mfa_token: await mfaToken(t.app, 'jwt-r', email, PASSWORD), code: totpCode(secret, 0) });
      const mine = await verify({ mfa_token: await mfaToken(t.app, 'jwt-r', email, PASSWORD), code: totpCode(secret, 1) });
      const res = await request(t.app).post('/auth/2fa/recovery-codes').set('Authorization', `Bearer ${mine.body.access_token}`).send({});
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const fresh = res.body.recovery_codes as string[];
      expect(fresh).to.have.length(10);
      expect(fresh.filter((c) => recoveryCodes.includes(c))).to.deep.equal([]);
      expect((await refreshWith(t.app, 'jwt-r', other.body.refresh_token)).status).to.equal(400);
      expect((await refreshWith(t.app, 'jwt-r', mine.body.refresh_token)).status).to.equal(200);
      const old = await verify({ mfa_token: await mfaToken(t.app, 'jwt', email, PASSWORD), recovery_code: recoveryCodes[1] });
      expect(old.body.code).to.equal('MFA_CODE_INVALID');
      expect((await verify({ mfa_token: await mfaToken(t.app, 'jwt', email, PASSWORD), recovery_code: fresh[0] })).status).to.equal(200);

      const stale = await t.auth.createToken(user, { backend: 'jwt', authTime: new Date(Date.now() - 3600_000), amr: ['pwd'] });
      const refused = await request(t.app).post('/auth/2fa/recovery-codes').set('Authorization', `Bearer ${stale}`).send({ currentPassword: 'wrong' });
      expect(refused.body.code).to.equal('CURRENT_PASSWORD_INVALID');
    });

    it('POST /2fa/recovery-codes without TOTP is MFA_NOT_ENROLLED', async () => {
      const token = await bearerToken(t.app, 'jwt', email);
      const res = await request(t.app).post('/auth/2fa/recovery-codes').set('Authorization', `Bearer ${token}`).send({});
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('MFA_NOT_ENROLLED');
    });
  });
});
