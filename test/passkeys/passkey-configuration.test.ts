/**
 * `Auth.configure({ passkeys })` is checked when the app is configured (AuthConfigurationError
 * naming the option and the fix), and `auth.ready()` finds what a passkey route would otherwise
 * meet on its first request.
 */
import { expect } from 'chai';
import { JsonController } from 'routing-controllers';
import { DataSource, Entity } from 'typeorm';
import {
  AccessToken,
  Auth,
  AuthConfigurationError,
  AuthenticationBackend,
  BaseUser,
  BearerTransport,
  CookieTransport,
  DatabaseStrategy,
  MemoryWebAuthnChallengeStore,
  Passkey,
  PasskeyController,
  type PasskeyOptions,
} from '../../src';

@Entity('user')
class ConfigUser extends BaseUser {}

const SECRET = 'passkey-config-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

function configure(passkeys: unknown, given?: DataSource | null) {
  const dataSource =
    given === null ? undefined : (given ?? new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [ConfigUser, AccessToken] }));
  return new Auth<ConfigUser>({
    dataSource,
    userEntity: ConfigUser,
    userStore: dataSource
      ? undefined
      : ({
          findById: async () => null,
          findByEmail: async () => null,
          create: async () => null,
          update: async () => null,
          delete: async () => undefined,
        } as never),
    secret: SECRET,
    backends: [
      new AuthenticationBackend({
        name: 'db',
        transport: new BearerTransport({ tokenUrl: '/login' }),
        strategy: new DatabaseStrategy({ lifetimeSeconds: 600 }),
      }),
    ],
    passkeys: passkeys as PasskeyOptions,
  });
}

function refusal(passkeys: unknown, dataSource?: DataSource | null): string {
  try {
    configure(passkeys, dataSource);
  } catch (error) {
    expect(error).to.be.instanceOf(AuthConfigurationError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

const GOOD = { rpID: 'example.com', rpName: 'Example', origins: ['https://example.com'] };

describe('passkeys configuration', () => {
  it('accepts https origins on the RP ID and its subdomains, and http on localhost', () => {
    expect(
      configure({ ...GOOD, origins: ['https://example.com', 'https://app.example.com', 'https://a.b.example.com:8443'] }).context.passkeys?.origins,
    ).to.deep.equal(['https://example.com', 'https://app.example.com', 'https://a.b.example.com:8443']);
    expect(configure({ rpID: 'localhost', rpName: 'Dev', origins: ['http://localhost:3000', 'https://localhost'] }).context.passkeys?.rpID).to.equal(
      'localhost',
    );
    expect(configure(GOOD).context.passkeys?.origins, 'frozen settings').to.be.frozen;
  });

  it('refuses an RP ID that is no domain: a URL, a port, a path, an IP address, upper case, empty', () => {
    for (const rpID of ['https://example.com', 'example.com:443', 'example.com/login', '127.0.0.1', '::1', 'Example.com', '', 42, undefined]) {
      expect(refusal({ ...GOOD, rpID }), String(rpID)).to.contain("rpID must be the site's domain");
    }
  });

  it('refuses a missing or empty rpName', () => {
    expect(refusal({ ...GOOD, rpName: '  ' })).to.contain('rpName');
    expect(refusal({ ...GOOD, rpName: undefined })).to.contain('rpName');
  });

  it('refuses origins that are not origins, not https, or not on the RP ID', () => {
    expect(refusal({ ...GOOD, origins: [] })).to.contain('origins must list');
    expect(refusal({ ...GOOD, origins: 'https://example.com' })).to.contain('origins must list');
    expect(refusal({ ...GOOD, origins: ['https://example.com/'] })).to.contain('write it as "https://example.com"');
    expect(refusal({ ...GOOD, origins: ['https://example.com/login'] })).to.contain('is not an origin');
    expect(refusal({ ...GOOD, origins: ['example.com'] })).to.contain('is not an origin');
    expect(refusal({ ...GOOD, origins: ['http://example.com'] })).to.contain('must use https');
    expect(refusal({ ...GOOD, origins: ['https://example.org'] })).to.contain('is not on rpID "example.com"');
    expect(refusal({ ...GOOD, origins: ['https://badexample.com'] })).to.contain('is not on rpID "example.com"');
    expect(refusal({ ...GOOD, origins: ['https://example.com.evil.net'] })).to.contain('is not on rpID');
  });

  it('refuses a challenge store or passkey store that lacks its methods, and no DataSource without a store', () => {
    expect(refusal({ ...GOOD, challengeStore: { save: async () => undefined } })).to.contain('challengeStore lacks take');
    expect(refusal({ ...GOOD, store: {} })).to.contain('store lacks create');
    expect(refusal(GOOD, null)).to.contain('give a `dataSource`, or a `passkeys.store`');
    expect(configure({ ...GOOD, challengeStore: new MemoryWebAuthnChallengeStore() }).context.passkeys?.challenges).to.be.instanceOf(
      MemoryWebAuthnChallengeStore,
    );
  });

  it('auth.ready(): the Passkey entity missing from the DataSource is named with its fix', async () => {
    const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [ConfigUser, AccessToken], synchronize: true });
    const auth = configure(GOOD, dataSource);
    await dataSource.initialize();
    try {
      await auth.ready({ controllers: [] });
      throw new Error('ready() passed');
    } catch (error) {
      expect(error).to.be.instanceOf(AuthConfigurationError);
      expect((error as Error).message)
        .to.contain('needs the Passkey entity')
        .and.to.contain("add Passkey to your DataSource's `entities`");
    } finally {
      await dataSource.destroy();
    }
  });

  it('auth.ready(): a PasskeyController without passkeys configured, or naming an unknown backend, is named', async () => {
    const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [ConfigUser, AccessToken], synchronize: true });
    const auth = configure(undefined, dataSource);
    await dataSource.initialize();
    @JsonController('/passkeys')
    class Unconfigured extends PasskeyController<ConfigUser> {
      constructor() {
        super('nope', auth);
      }
    }
    try {
      await auth.ready({ controllers: [Unconfigured] });
      throw new Error('ready() passed');
    } catch (error) {
      expect(error).to.be.instanceOf(AuthConfigurationError);
      expect((error as Error).message).to.contain('Unconfigured (a PasskeyController) needs Auth.configure({ passkeys');
      expect((error as Error).message).to.contain('logs in with the "nope" backend, which Auth.configure does not have');
    } finally {
      await dataSource.destroy();
    }
  });

  it('auth.ready(): a PasskeyController signing in through a cookie backend with refresh tokens needs its refresh.cookiePath', async () => {
    const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [ConfigUser, AccessToken, Passkey], synchronize: true });
    const auth = new Auth<ConfigUser>({
      dataSource,
      userEntity: ConfigUser,
      secret: SECRET,
      backends: [
        new AuthenticationBackend({ name: 'cookie', transport: new CookieTransport(), strategy: new DatabaseStrategy({ lifetimeSeconds: 600 }), refresh: {} }),
      ],
      passkeys: GOOD,
    });
    await dataSource.initialize();
    @JsonController('/passkeys')
    class CookiePasskeys extends PasskeyController<ConfigUser> {
      constructor() {
        super('cookie', auth);
      }
    }
    try {
      await auth.ready({ controllers: [CookiePasskeys] });
      throw new Error('ready() passed');
    } catch (error) {
      expect((error as Error).message).to.contain('give it `refresh: { cookiePath }`');
    } finally {
      await dataSource.destroy();
    }
  });
});
