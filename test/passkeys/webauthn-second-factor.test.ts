/**
 * The `webauthn` second factor (WebAuthnSecondFactor), tested directly (POST /2fa/verify is the
 * multi-factor core's): enrolment, the request options `begin` hands out, and `verify` with real
 * assertions, each attack refused with 400 PASSKEY_INVALID.
 */
import { expect } from 'chai';
import { DataSource } from 'typeorm';
import { Entity } from 'typeorm';
import {
  AccessToken,
  Auth,
  AuthenticationBackend,
  BaseUser,
  BearerTransport,
  DatabaseStrategy,
  Passkey,
  PasskeyInvalidError,
  WebAuthnSecondFactor,
  type Passkeys,
} from '../../src';
import { SoftAuthenticator, type CeremonyOverrides } from '../support/soft-authenticator';
import { FakeExchange } from '../support/fake-exchange';

@Entity('user')
class FactorUser extends BaseUser {}

const ORIGIN = 'https://example.com';
const SECRET = 'second-factor-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

describe('WebAuthnSecondFactor (the webauthn second factor)', function () {
  this.timeout(30_000);
  let dataSource: DataSource;
  let auth: Auth<FactorUser>;
  let passkeys: Passkeys;
  let factor: WebAuthnSecondFactor<FactorUser>;
  let alice: FactorUser;
  let bob: FactorUser;
  const exchange = new FakeExchange();

  before(async () => {
    dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [FactorUser, AccessToken, Passkey], synchronize: true });
    auth = new Auth<FactorUser>({
      dataSource,
      userEntity: FactorUser,
      secret: SECRET,
      backends: [
        new AuthenticationBackend({
          name: 'db',
          transport: new BearerTransport({ tokenUrl: '/login' }),
          strategy: new DatabaseStrategy({ lifetimeSeconds: 600 }),
        }),
      ],
      passkeys: { rpID: 'example.com', rpName: 'Example', origins: [ORIGIN] },
    });
    await dataSource.initialize();
    await auth.ready({ controllers: [] });
    passkeys = auth.context.passkeys!;
    factor = new WebAuthnSecondFactor(passkeys);
    alice = await auth.userManager.create({ email: 'alice@example.com', password: 'a long enough passphrase 1' }, { safe: false });
    bob = await auth.userManager.create({ email: 'bob@example.com', password: 'a long enough passphrase 2' }, { safe: false });
  });

  after(() => dataSource.destroy());

  async function enrol(user: FactorUser, overrides: CeremonyOverrides = {}): Promise<SoftAuthenticator> {
    const authenticator = new SoftAuthenticator(ORIGIN);
    await passkeys.register(user, authenticator.create(await passkeys.registrationOptions(user), overrides).response, 'Key');
    return authenticator;
  }

  async function refused(proof: unknown, user = alice): Promise<PasskeyInvalidError> {
    try {
      await factor.verify(user, proof, exchange);
    } catch (error) {
      expect(error).to.be.instanceOf(PasskeyInvalidError);
      expect(error).to.include({ httpCode: 400, code: 'PASSKEY_INVALID' });
      return error as PasskeyInvalidError;
    }
    throw new Error('the proof was accepted');
  }

  it('is the webauthn method, proven in the webauthn field; enrolled once the user has a passkey', async () => {
    expect(factor).to.include({ name: 'webauthn', field: 'webauthn' });
    expect(await factor.isEnrolled(alice)).to.equal(false);
    await enrol(alice);
    expect(await factor.isEnrolled(alice)).to.equal(true);
    expect(await factor.isEnrolled(bob)).to.equal(false);
  });

  it("begin: request options with the user's passkeys as allowCredentials, user verification preferred, a fresh challenge each time", async () => {
    const [stored] = await passkeys.store.listForUser(alice.id);
    const first = await factor.begin(alice, exchange);
    const second = await factor.begin(alice, exchange);
    expect(first).to.include({ rpId: 'example.com', userVerification: 'preferred', timeout: 300_000 });
    expect(first.allowCredentials).to.deep.equal([{ id: stored.credentialId, type: 'public-key', transports: ['internal'] }]);
    expect(second.challenge).not.to.equal(first.challenge);
  });

  it("verify: amr ['hwk'] for an assertion of the user's passkey against begin's challenge; the counter recorded", async () => {
    const authenticator = await enrol(bob);
    const options = await factor.begin(bob, exchange);
    expect(await factor.verify(bob, authenticator.get(options), exchange)).to.deep.equal({ amr: ['hwk'] });
    const [stored] = await passkeys.store.listForUser(bob.id);
    expect(stored.counter).to.equal(1);
  });

  it("verify: amr ['swk'] for a synced passkey; user verification is not required (the password was the first factor)", async () => {
    const carol = await auth.userManager.create({ email: 'carol@example.com', password: 'a long enough passphrase 3' }, { safe: false });
    const authenticator = await enrol(carol, { synced: true });
    const proof = authenticator.get(await factor.begin(carol, exchange), undefined, { synced: true, userVerified: false });
    expect(await factor.verify(carol, proof, exchange)).to.deep.equal({ amr: ['swk'] });
  });

  it("attacks refused with 400 PASSKEY_INVALID: replay, another user's challenge or passkey, a sign-in or registration challenge, wrong origin or RP ID, counter regression, garbage", async () => {
    const alicesKey = new SoftAuthenticator(ORIGIN);
    await passkeys.register(alice, alicesKey.create(await passkeys.registrationOptions(alice)).response, 'Second key');
    const bobsKey = await enrol(bob);

    const good = alicesKey.get(await factor.begin(alice, exchange));
    expect(await factor.verify(alice, good, exchange)).to.deep.equal({ amr: ['hwk'] });
    await refused(good); // replayed

    await refused(alicesKey.get(await factor.begin(bob, exchange))); // a challenge handed to Bob, redeemed for Alice
    await refused(bobsKey.get(await factor.begin(alice, exchange))); // Bob's passkey on Alice's challenge
    await refused(bobsKey.get(await factor.begin(bob, exchange)), alice); // Bob's whole proof, for Alice
    await refused(alicesKey.get(await passkeys.loginOptions()));
    await refused(alicesKey.get(await passkeys.registrationOptions(alice)));
    await refused(alicesKey.get(await factor.begin(alice, exchange), undefined, { origin: 'https://evil.example.net' }));
    await refused(alicesKey.get(await factor.begin(alice, exchange), undefined, { rpId: 'evil.example.net' }));
    const [credential] = alicesKey.credentials;
    const stored = await passkeys.store.findByCredentialId(credential.id.toString('base64url'));
    const regressed = await refused(alicesKey.get(await factor.begin(alice, exchange), credential, { counter: stored!.counter }));
    expect(regressed.message).to.contain('sign counter went backwards');
    await refused(alicesKey.get(await factor.begin(alice, exchange), credential, { signWith: bobsKey.credentials[0] }));
    for (const garbage of [null, 'a string', [1, 2], {}, { response: {} }]) await refused(garbage);

    expect(await factor.verify(alice, alicesKey.get(await factor.begin(alice, exchange)), exchange), 'the real key still works').to.deep.equal({
      amr: ['hwk'],
    });
  });

  it('made from a function, it names the missing configuration', async () => {
    const unconfigured = new WebAuthnSecondFactor<FactorUser>(() => undefined);
    try {
      await unconfigured.isEnrolled(alice);
      throw new Error('no error');
    } catch (error) {
      expect((error as Error).name).to.equal('AuthConfigurationError');
      expect((error as Error).message).to.contain('Auth.configure({ passkeys');
    }
  });
});
