/**
 * Passkeys over HTTP (Express 4, Express 5, Koa): every PasskeyController route, its options, its
 * validation, its 404s, its re-authentication and rate limit, and every attack on the ceremonies
 * with real WebAuthn responses from a software authenticator (test/support/soft-authenticator.ts).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { JsonController } from 'routing-controllers';
import request from 'supertest';
import {
  AuthenticationBackend,
  BearerTransport,
  CookieTransport,
  DatabaseStrategy,
  MemoryWebAuthnChallengeStore,
  Passkey,
  PasskeyController,
  type Auth,
  type AuthEvent,
  type PasskeyOptions,
} from '../../src';
import { buildApp, createUser, DRIVER, PASSWORD, type TestApp, User } from '../support/app';
import { bearerToken, cookieFrom } from '../support/http';
import { SoftAuthenticator, type CeremonyOverrides } from '../support/soft-authenticator';

const ORIGIN = 'https://app.example.com';
const PASSKEYS: PasskeyOptions = { rpID: 'example.com', rpName: 'Example Inc.', origins: ['https://example.com', ORIGIN] };
const b64url = (text: string) => Buffer.from(text).toString('base64url');

function passkeyControllers(auth: Auth<User>): Function[] {
  @JsonController('/passkeys')
  class BearerPasskeys extends PasskeyController<User> {
    constructor() {
      super('db', auth);
    }
  }
  @JsonController('/cookie-passkeys')
  class CookiePasskeys extends PasskeyController<User> {
    constructor() {
      super('cookie', auth);
    }
  }
  return [BearerPasskeys, CookiePasskeys];
}

function backends(): AuthenticationBackend[] {
  return [
    new AuthenticationBackend({
      name: 'db',
      transport: new BearerTransport({ tokenUrl: '/auth/db/login' }),
      strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
    }),
    new AuthenticationBackend({
      name: 'cookie',
      transport: new CookieTransport({ cookieMaxAge: 3600 }),
      strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
    }),
  ];
}

describe(`passkeys over HTTP (${DRIVER})`, function () {
  this.timeout(30_000);
  let t: TestApp;
  let clock = Date.now();
  const challenges = new MemoryWebAuthnChallengeStore({ now: () => clock });
  let alice: User;
  let bob: User;
  let aliceToken: string;
  let bobToken: string;
  const events: AuthEvent[] = [];
  const passkeyEvents = () => events.filter((e) => e.type.startsWith('passkey.'));

  before(async () => {
    t = await buildApp({
      backends: backends(),
      passkeys: { ...PASSKEYS, challengeStore: challenges },
      extraControllers: passkeyControllers,
      onEvent: (event) => void events.push(event),
    });
    alice = await createUser(t.auth, { email: 'alice@example.com' });
    bob = await createUser(t.auth, { email: 'bob@example.com' });
  });

  beforeEach(async () => {
    clock = Date.now();
    await t.dataSource.getRepository(Passkey).clear();
    aliceToken = await bearerToken(t.app, 'db', alice.email);
    bobToken = await bearerToken(t.app, 'db', bob.email);
    events.length = 0;
  });

  after(() => t.close());

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  async function registrationOptions(token: string, body: object = {}) {
    const res = await request(t.app).post('/passkeys/register/options').set(auth(token)).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body;
  }

  /** Registers a passkey for the token's user through the routes; answers the authenticator and the new passkey. */
  async function registerPasskey(token: string, authenticator = new SoftAuthenticator(ORIGIN), overrides: CeremonyOverrides = {}, name = 'Laptop') {
    const options = await registrationOptions(token);
    const { response } = authenticator.create(options, overrides);
    const res = await request(t.app).post('/passkeys/register').set(auth(token)).send({ response, name });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return { authenticator, passkey: res.body };
  }

  async function loginOptions(path = '/passkeys') {
    const res = await request(t.app).post(`${path}/login/options`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body;
  }

  function expectPasskeyInvalid(res: request.Response) {
    expect(res.status, JSON.stringify(res.body)).to.equal(400);
    expect(res.body.code).to.equal('PASSKEY_INVALID');
  }

  describe('POST /register/options', () => {
    it('401 without a credential', async () => {
      const res = await request(t.app).post('/passkeys/register/options').send({});
      expect(res.status).to.equal(401);
    });

    it("answers PublicKeyCredentialCreationOptionsJSON: discoverable, user verification required, the user named by id, the user's passkeys excluded", async () => {
      const first = await registrationOptions(aliceToken);
      expect(first.rp).to.deep.equal({ id: 'example.com', name: 'Example Inc.' });
      expect(first.user).to.deep.equal({ id: b64url(alice.id), name: alice.email, displayName: alice.email });
      expect(first.challenge).to.be.a('string').with.length.greaterThan(40);
      expect(first.pubKeyCredParams.map((p: { alg: number }) => p.alg)).to.include(-7);
      expect(first.timeout).to.equal(300_000);
      expect(first.attestation).to.equal('none');
      expect(first.authenticatorSelection).to.deep.include({ residentKey: 'required', requireResidentKey: true, userVerification: 'required' });
      expect(first.excludeCredentials).to.deep.equal([]);
      const { authenticator } = await registerPasskey(aliceToken);
      const second = await registrationOptions(aliceToken);
      expect(second.challenge).not.to.equal(first.challenge);
      expect(second.excludeCredentials).to.deep.equal([
        { id: authenticator.credentials[0].id.toString('base64url'), type: 'public-key', transports: ['internal'] },
      ]);
      expect((await registrationOptions(bobToken)).excludeCredentials, "bob's options do not list alice's passkey").to.deep.equal([]);
    });

    it('needs a recent sign-in or the current password: old sign-in 401 REAUTHENTICATION_REQUIRED, wrong password 400 CURRENT_PASSWORD_INVALID, right password 200', async () => {
      const old = await t.auth.createToken(alice, { backend: 'db', authTime: new Date(Date.now() - 3600_000), amr: ['pwd'] });
      const stale = await request(t.app).post('/passkeys/register/options').set(auth(old)).send({});
      expect(stale.status).to.equal(401);
      expect(stale.body.code).to.equal('REAUTHENTICATION_REQUIRED');
      const wrong = await request(t.app).post('/passkeys/register/options').set(auth(old)).send({ currentPassword: 'not the password' });
      expect(wrong.status).to.equal(400);
      expect(wrong.body.code).to.equal('CURRENT_PASSWORD_INVALID');
      const right = await request(t.app).post('/passkeys/register/options').set(auth(old)).send({ currentPassword: PASSWORD });
      expect(right.status).to.equal(200);
      expect(right.body.challenge).to.be.a('string');
      const codeMade = await t.auth.createToken(alice, { backend: 'db' });
      const noSignIn = await request(t.app).post('/passkeys/register/options').set(auth(codeMade));
      expect(noSignIn.status, 'a token with no sign-in behind it never passes as recent').to.equal(401);
    });

    it('400 VALIDATION_ERROR for a currentPassword that is not a string', async () => {
      const res = await request(t.app).post('/passkeys/register/options').set(auth(aliceToken)).send({ currentPassword: 42 });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_ERROR');
    });
  });

  describe('POST /register', () => {
    it('201 the passkey, without key material; GET / lists it', async () => {
      const { passkey } = await registerPasskey(aliceToken);
      expect(passkey).to.have.keys(['id', 'name', 'deviceType', 'backedUp', 'transports', 'aaguid', 'createdAt', 'lastUsedAt']);
      expect(passkey).to.include({ name: 'Laptop', deviceType: 'singleDevice', backedUp: false, lastUsedAt: null });
      expect(passkey.transports).to.deep.equal(['internal']);
      const list = await request(t.app).get('/passkeys').set(auth(aliceToken));
      expect(list.status).to.equal(200);
      expect(list.body.map((p: { id: string }) => p.id)).to.deep.equal([passkey.id]);
      const stored = await t.dataSource.getRepository(Passkey).findOneByOrFail({ id: passkey.id });
      expect(stored.userId).to.equal(alice.id);
      expect(stored.counter).to.equal(0);
      expect((await request(t.app).get('/passkeys').set(auth(bobToken))).body).to.deep.equal([]);
      expect(passkeyEvents()).to.have.length(1);
      expect(passkeyEvents()[0]).to.include({ type: 'passkey.added', userId: alice.id, passkeyId: passkey.id });
    });

    it('a name defaults to "Passkey"; 400 VALIDATION_ERROR without a response object or with a name too long', async () => {
      const options = await registrationOptions(aliceToken);
      const { response } = new SoftAuthenticator(ORIGIN).create(options);
      const noResponse = await request(t.app).post('/passkeys/register').set(auth(aliceToken)).send({ name: 'x' });
      expect(noResponse.status).to.equal(400);
      expect(noResponse.body.code).to.equal('VALIDATION_ERROR');
      const stringResponse = await request(t.app).post('/passkeys/register').set(auth(aliceToken)).send({ response: 'abc' });
      expect(stringResponse.body.code).to.equal('VALIDATION_ERROR');
      const longName = await request(t.app)
        .post('/passkeys/register')
        .set(auth(aliceToken))
        .send({ response, name: 'x'.repeat(101) });
      expect(longName.body.code).to.equal('VALIDATION_ERROR');
      const res = await request(t.app).post('/passkeys/register').set(auth(aliceToken)).send({ response });
      expect(res.status).to.equal(201);
      expect(res.body.name).to.equal('Passkey');
    });

    it("attacks refused with 400 PASSKEY_INVALID: replayed challenge, wrong origin, wrong RP ID, no user verification, another user's challenge, a login challenge, a get() response, garbage", async () => {
      const authenticator = new SoftAuthenticator(ORIGIN);
      const send = (response: unknown, token = aliceToken) => request(t.app).post('/passkeys/register').set(auth(token)).send({ response });

      const options = await registrationOptions(aliceToken);
      const { response } = authenticator.create(options);
      expect((await send(response)).status).to.equal(201);
      expectPasskeyInvalid(await send(response)); // the same challenge again

      expectPasskeyInvalid(await send(authenticator.create(await registrationOptions(aliceToken), { origin: 'https://evil.example.net' }).response));
      expectPasskeyInvalid(await send(authenticator.create(await registrationOptions(aliceToken), { origin: 'https://example.com.evil.net' }).response));
      expectPasskeyInvalid(await send(authenticator.create(await registrationOptions(aliceToken), { rpId: 'evil.example.net' }).response));
      expectPasskeyInvalid(await send(authenticator.create(await registrationOptions(aliceToken), { userVerified: false }).response));
      expectPasskeyInvalid(await send(authenticator.create(await registrationOptions(aliceToken), { type: 'webauthn.get' }).response));
      // Bob's challenge, redeemed in Alice's session (and the other way round).
      expectPasskeyInvalid(await send(authenticator.create(await registrationOptions(bobToken)).response, aliceToken));
      const login = await loginOptions();
      expectPasskeyInvalid(await send(authenticator.create({ ...(await registrationOptions(aliceToken)), challenge: login.challenge }).response));
      expectPasskeyInvalid(await send({ id: 'x', response: { clientDataJSON: 'not base64url!' } }));
      expectPasskeyInvalid(await send({ id: 'x', response: { clientDataJSON: b64url('{"challenge":') } }));
      expectPasskeyInvalid(await send({ id: 'x', response: { clientDataJSON: b64url(JSON.stringify({ challenge: 'unknown' })) } }));
      const list = await request(t.app).get('/passkeys').set(auth(aliceToken));
      expect(list.body, 'only the first registration stored anything').to.have.length(1);
    });

    it('an expired challenge (past 5 minutes) is refused', async () => {
      const options = await registrationOptions(aliceToken);
      clock += 301_000;
      const res = await request(t.app)
        .post('/passkeys/register')
        .set(auth(aliceToken))
        .send({ response: new SoftAuthenticator(ORIGIN).create(options).response });
      expectPasskeyInvalid(res);
    });

    it('a credential id registered already (to anyone) is refused', async () => {
      const { authenticator } = await registerPasskey(aliceToken);
      const options = await registrationOptions(bobToken);
      const { response } = authenticator.create(options, { credentialId: authenticator.credentials[0].id });
      const res = await request(t.app).post('/passkeys/register').set(auth(bobToken)).send({ response });
      expectPasskeyInvalid(res);
      expect(res.body.message).to.contain('registered already');
      expect(await t.dataSource.getRepository(Passkey).count()).to.equal(1);
    });
  });

  describe('PATCH /:id and DELETE /:id', () => {
    it("rename: 200; 404 for another user's, an unknown and a malformed id; 400 VALIDATION_ERROR for an empty name", async () => {
      const { passkey } = await registerPasskey(aliceToken);
      const renamed = await request(t.app).patch(`/passkeys/${passkey.id}`).set(auth(aliceToken)).send({ name: 'Phone' });
      expect(renamed.status).to.equal(200);
      expect(renamed.body).to.include({ id: passkey.id, name: 'Phone' });
      for (const [id, token] of [
        [passkey.id, bobToken],
        ['00000000-0000-4000-8000-000000000000', aliceToken],
        ['not-a-uuid', aliceToken],
      ]) {
        const res = await request(t.app).patch(`/passkeys/${id}`).set(auth(token)).send({ name: 'Mine now' });
        expect(res.status, id).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
      }
      const empty = await request(t.app).patch(`/passkeys/${passkey.id}`).set(auth(aliceToken)).send({ name: '' });
      expect(empty.body.code).to.equal('VALIDATION_ERROR');
      expect((await t.dataSource.getRepository(Passkey).findOneByOrFail({ id: passkey.id })).name).to.equal('Phone');
    });

    it('rename and delete need a recent sign-in or the current password', async () => {
      const { passkey } = await registerPasskey(aliceToken);
      const old = await t.auth.createToken(alice, { backend: 'db', authTime: new Date(Date.now() - 3600_000), amr: ['pwd'] });
      const rename = await request(t.app).patch(`/passkeys/${passkey.id}`).set(auth(old)).send({ name: 'Stolen' });
      expect(rename.status).to.equal(401);
      expect(rename.body.code).to.equal('REAUTHENTICATION_REQUIRED');
      const remove = await request(t.app).delete(`/passkeys/${passkey.id}`).set(auth(old));
      expect(remove.status).to.equal(401);
      const wrong = await request(t.app).delete(`/passkeys/${passkey.id}`).set(auth(old)).send({ currentPassword: 'wrong' });
      expect(wrong.body.code).to.equal('CURRENT_PASSWORD_INVALID');
      const withPassword = await request(t.app).delete(`/passkeys/${passkey.id}`).set(auth(old)).send({ currentPassword: PASSWORD });
      expect(withPassword.status).to.equal(204);
    });

    it("delete: 204, then it signs in no more; 404 for another user's or an unknown id", async () => {
      const { passkey, authenticator } = await registerPasskey(aliceToken);
      const other = await request(t.app).delete(`/passkeys/${passkey.id}`).set(auth(bobToken));
      expect(other.status).to.equal(404);
      const res = await request(t.app).delete(`/passkeys/${passkey.id}`).set(auth(aliceToken));
      expect(res.status).to.equal(204);
      expect(passkeyEvents().map((e) => e.type)).to.deep.equal(['passkey.added', 'passkey.removed']);
      expect(passkeyEvents()[1]).to.include({ userId: alice.id, passkeyId: passkey.id });
      expect((await request(t.app).delete(`/passkeys/${passkey.id}`).set(auth(aliceToken))).status).to.equal(404);
      const login = await request(t.app)
        .post('/passkeys/login')
        .send({ response: authenticator.get(await loginOptions()) });
      expectPasskeyInvalid(login);
    });
  });

  describe('passwordless sign-in', () => {
    it('POST /login/options: no credential needed, no username, empty allowCredentials, user verification required', async () => {
      const options = await loginOptions();
      expect(options).to.include({ rpId: 'example.com', userVerification: 'required', timeout: 300_000 });
      expect(options.allowCredentials).to.deep.equal([]);
      expect(options.challenge).to.be.a('string').with.length.greaterThan(40);
    });

    it("POST /login: the bearer backend's login answer; the token carries amr hwk + mfa; counter and last use recorded", async () => {
      const { authenticator, passkey } = await registerPasskey(aliceToken);
      const res = await request(t.app)
        .post('/passkeys/login')
        .send({ response: authenticator.get(await loginOptions()) });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.token_type).to.equal('bearer');
      const me = await request(t.app).get('/items').set(auth(res.body.access_token));
      expect(me.body).to.deep.equal({ owner: alice.email });
      const grant = await t.auth.getBackend('db').strategy.read(res.body.access_token);
      expect(grant).to.deep.include({ userId: alice.id, amr: ['hwk', 'mfa'] });
      const stored = await t.dataSource.getRepository(Passkey).findOneByOrFail({ id: passkey.id });
      expect(stored.counter).to.equal(1);
      expect(stored.lastUsedAt).to.be.instanceOf(Date);
    });

    it('a synced (backed-up) passkey signs in with amr swk + mfa', async () => {
      const { authenticator } = await registerPasskey(aliceToken, new SoftAuthenticator(ORIGIN), { synced: true });
      const res = await request(t.app)
        .post('/passkeys/login')
        .send({ response: authenticator.get(await loginOptions(), undefined, { synced: true, counter: 0 }) });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(await t.auth.getBackend('db').strategy.read(res.body.access_token)).to.deep.include({ amr: ['swk', 'mfa'] });
      const [stored] = await t.dataSource.getRepository(Passkey).find();
      expect(stored).to.include({ deviceType: 'multiDevice', backedUp: true, counter: 0 });
    });

    it('the cookie backend: 204 with the session cookie; a request from a foreign origin 403 CSRF_FAILED', async () => {
      const { authenticator } = await registerPasskey(aliceToken);
      const foreign = await request(t.app)
        .post('/cookie-passkeys/login')
        .set('origin', 'https://evil.example.net')
        .send({ response: authenticator.get(await loginOptions('/cookie-passkeys')) });
      expect(foreign.status).to.equal(403);
      expect(foreign.body.code).to.equal('CSRF_FAILED');
      const res = await request(t.app)
        .post('/cookie-passkeys/login')
        .send({ response: authenticator.get(await loginOptions('/cookie-passkeys')) });
      expect(res.status, JSON.stringify(res.body)).to.equal(204);
      const cookie = cookieFrom(res);
      expect(cookie).to.be.a('string');
      expect((await request(t.app).get('/items').set('cookie', cookie!)).body).to.deep.equal({ owner: alice.email });
    });

    it('attacks refused with 400 PASSKEY_INVALID: replay, wrong origin, wrong RP ID, no user verification, counter regression, forged signature, unknown credential, a registration or second-factor challenge', async () => {
      const { authenticator } = await registerPasskey(aliceToken);
      const [credential] = authenticator.credentials;
      const login = (response: unknown) => request(t.app).post('/passkeys/login').send({ response });

      const good = authenticator.get(await loginOptions());
      expect((await login(good)).status).to.equal(200);
      expectPasskeyInvalid(await login(good)); // replayed: its challenge is used up

      expectPasskeyInvalid(await login(authenticator.get(await loginOptions(), credential, { origin: 'https://evil.example.net' })));
      expectPasskeyInvalid(await login(authenticator.get(await loginOptions(), credential, { origin: 'http://app.example.com' })));
      expectPasskeyInvalid(await login(authenticator.get(await loginOptions(), credential, { rpId: 'evil.example.net' })));
      expectPasskeyInvalid(await login(authenticator.get(await loginOptions(), credential, { userVerified: false })));
      const regressed = await login(authenticator.get(await loginOptions(), credential, { counter: 1 })); // stored counter is 1
      expectPasskeyInvalid(regressed);
      expect(regressed.body.message).to.contain('sign counter went backwards');
      expectPasskeyInvalid(await login(authenticator.get(await loginOptions(), credential, { counter: 0 })));
      const stranger = new SoftAuthenticator(ORIGIN);
      stranger.create(await registrationOptions(bobToken)); // made, never registered
      expectPasskeyInvalid(await login(authenticator.get(await loginOptions(), credential, { signWith: stranger.credentials[0] })));
      expectPasskeyInvalid(await login(stranger.get(await loginOptions())));
      expectPasskeyInvalid(await login(authenticator.get(await registrationOptions(aliceToken))));
      const secondFactor = await t.auth.context.passkeys!.secondFactorOptions(alice);
      expectPasskeyInvalid(await login(authenticator.get(secondFactor)));
      expectPasskeyInvalid(await login(authenticator.get(await loginOptions(), credential, { type: 'webauthn.create' })));
      // A user handle naming someone else.
      const handle = authenticator.get(await loginOptions());
      expectPasskeyInvalid(await login({ ...handle, response: { ...handle.response, userHandle: b64url(bob.id) } }));
      expectPasskeyInvalid(await login({}));
      expectPasskeyInvalid(await login({ id: 42, response: { clientDataJSON: 7 } }));

      const still = await login(authenticator.get(await loginOptions()));
      expect(still.status, 'the real passkey still works after every refusal').to.equal(200);
      const rejections = passkeyEvents().filter((e) => e.type === 'passkey.rejected');
      expect(new Set(rejections.map((e) => (e as { reason: string }).reason))).to.deep.equal(
        new Set(['challenge', 'unknown_credential', 'not_verified', 'counter_regressed']),
      );
      expect(rejections.filter((e) => (e as { reason: string }).reason === 'counter_regressed')).to.have.length(2);
      expect(
        rejections.find((e) => (e as { reason: string }).reason === 'counter_regressed'),
        'the alert names the owner',
      ).to.include({ purpose: 'login', userId: alice.id });
    });

    it('an expired challenge is refused; a challenge is redeemed once when two responses race', async () => {
      const { authenticator } = await registerPasskey(aliceToken);
      const expired = authenticator.get(await loginOptions());
      clock += 301_000;
      expectPasskeyInvalid(await request(t.app).post('/passkeys/login').send({ response: expired }));
      clock = Date.now();
      const options = await loginOptions();
      const one = authenticator.get(options);
      const two = authenticator.get(options); // a higher counter, the same challenge
      const answers = await Promise.all([one, two, one].map((response) => request(t.app).post('/passkeys/login').send({ response })));
      expect(answers.map((r) => r.status).sort()).to.deep.equal([200, 400, 400]);
    });

    it('an inactive user never signs in (400 PASSKEY_INVALID, as for any refusal)', async () => {
      const carol = await createUser(t.auth, { email: `carol-${DRIVER}@example.com` });
      const { authenticator } = await registerPasskey(await bearerToken(t.app, 'db', carol.email));
      await t.auth.userManager.update(carol, { isActive: false }, { safe: false });
      expectPasskeyInvalid(
        await request(t.app)
          .post('/passkeys/login')
          .send({ response: authenticator.get(await loginOptions()) }),
      );
      expect(passkeyEvents().pop()).to.include({ type: 'passkey.rejected', reason: 'inactive_user', userId: carol.id });
    });

    it('hostile responses (any JSON, or a real assertion with one field replaced) are 400 PASSKEY_INVALID or VALIDATION_ERROR, never a 500 or a sign-in', async () => {
      const { authenticator } = await registerPasskey(aliceToken);
      const fields = ['id', 'rawId', 'type', 'response.clientDataJSON', 'response.authenticatorData', 'response.signature', 'response.userHandle'];
      const replacement = fc.oneof(fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 400 }), fc.jsonValue({ maxDepth: 2 }), fc.constant(null));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })),
            fc.record({ field: fc.constantFrom(...fields), value: replacement }),
          ),
          async (hostile) => {
            let response: unknown;
            if ('json' in hostile) response = hostile.json;
            else {
              const real = authenticator.get(await loginOptions()) as unknown as Record<string, any>;
              const [outer, inner] = hostile.field.split('.');
              if (inner) real[outer] = { ...real[outer], [inner]: hostile.value };
              else real[outer] = hostile.value;
              response = real;
            }
            const res = await request(t.app).post('/passkeys/login').send({ response });
            // The user handle is not signed and optional (authenticators without resident keys send none): leaving it out still signs in.
            if (res.status === 200) return 'field' in hostile && hostile.field === 'response.userHandle' && (hostile.value === null || hostile.value === '');
            return res.status === 400 && ['PASSKEY_INVALID', 'VALIDATION_ERROR'].includes(res.body.code);
          },
        ),
        { numRuns: 150, seed: 21 },
      );
    });

    it('400 VALIDATION_ERROR without a response object', async () => {
      const res = await request(t.app).post('/passkeys/login').send({});
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_ERROR');
    });
  });
});

describe(`passkeys: the sign-in rate limit and requireVerification (${DRIVER})`, function () {
  this.timeout(30_000);
  let t: TestApp;

  before(async () => {
    t = await buildApp({
      backends: backends(),
      passkeys: PASSKEYS,
      requireVerification: true,
      rateLimits: { limits: { passkeyLogin: { perIp: { points: 4, durationSeconds: 600 } } } },
      extraControllers: passkeyControllers,
    });
  });

  after(() => t.close());

  it('an unverified user with requireVerification: 400 LOGIN_USER_NOT_VERIFIED; the options and sign-ins count in the passkeyLogin budget: 429 once spent', async () => {
    const dave = await createUser(t.auth, { email: 'dave@example.com', isVerified: false });
    const token = await t.auth.createToken(dave, { backend: 'db', authTime: new Date(), amr: ['pwd'] });
    const authenticator = new SoftAuthenticator(ORIGIN);
    const options = (await request(t.app).post('/passkeys/register/options').set('authorization', `Bearer ${token}`).send({})).body;
    const registered = await request(t.app)
      .post('/passkeys/register')
      .set('authorization', `Bearer ${token}`)
      .send({ response: authenticator.create(options).response });
    expect(registered.status).to.equal(201);

    const loginOptions = await request(t.app).post('/passkeys/login/options'); // 1
    const unverified = await request(t.app)
      .post('/passkeys/login')
      .send({ response: authenticator.get(loginOptions.body) }); // 2
    expect(unverified.status).to.equal(400);
    expect(unverified.body.code).to.equal('LOGIN_USER_NOT_VERIFIED');
    expect((await request(t.app).post('/passkeys/login/options')).status).to.equal(200); // 3
    expect((await request(t.app).post('/passkeys/login').send({ response: {} })).status).to.equal(400); // 4
    const limited = await request(t.app).post('/passkeys/login/options');
    expect(limited.status).to.equal(429);
    expect(limited.body.code).to.equal('TOO_MANY_REQUESTS');
    expect(Number(limited.headers['retry-after'])).to.be.greaterThan(0);
    const limitedLogin = await request(t.app).post('/passkeys/login').send({ response: {} });
    expect(limitedLogin.status).to.equal(429);
  });
});
