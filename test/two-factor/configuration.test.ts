/**
 * `twoFactor`'s options are checked at `Auth.configure`, and what it needs at `auth.ready()`: the
 * entities, and a mounted `TwoFactorController` has second factors to serve.
 */
import { expect } from 'chai';
import { DataSource } from 'typeorm';
import {
  AccessToken,
  Auth,
  RecoveryCode,
  TwoFactorSecret,
  AuthConfigurationError,
  AuthenticationBackend,
  BearerTransport,
  DatabaseStrategy,
  type SecondFactorMethod,
} from '../../src';
import { factorCount } from '../../src/security/factors';
import { accessRequirementOf } from '../../src/security/access-requirement';
import { migrations } from '../../src/cli/commands/migrations';
import { SECRET, User } from '../support/app';
import { twoFactorRoutes } from '../support/two-factor';

const backends = () => [new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/login' }), strategy: new DatabaseStrategy() })];
const method = (name: string, field: string): SecondFactorMethod => ({ name, field, isEnrolled: async () => false, verify: async () => ({ amr: ['otp'] }) });

describe('two-factor configuration', () => {
  const sources: DataSource[] = [];
  after(async () => {
    for (const source of sources) if (source.isInitialized) await source.destroy();
  });

  async function dataSource(entities: Function[]): Promise<DataSource> {
    const source = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities, synchronize: true });
    sources.push(source);
    return source.initialize();
  }

  it('refuses bad options at Auth.configure, naming them', async () => {
    const source = await dataSource([User, AccessToken]);
    const configure = (twoFactor: any) => () => new Auth<User>({ dataSource: source, userEntity: User, secret: SECRET, backends: backends(), twoFactor });
    expect(configure({ issuer: '' })).to.throw(AuthConfigurationError, /`issuer`/);
    expect(configure({ issuer: 'A:B' })).to.throw(AuthConfigurationError, /`issuer`/);
    expect(configure({ issuer: 'Acme', required: 'yes' })).to.throw(AuthConfigurationError, /`required`/);
    expect(configure({ issuer: 'Acme', encryptionSecret: 'short' })).to.throw(AuthConfigurationError, /`encryptionSecret`/);
    expect(configure({ issuer: 'Acme', methods: [method('totp', 'other')] })).to.throw(AuthConfigurationError, /two methods are named "totp"/);
    expect(configure({ issuer: 'Acme', methods: [method('sms', 'code')] })).to.throw(AuthConfigurationError, /"code"/);
    expect(configure({ issuer: 'Acme', methods: [method('sms', 'mfa_token')] })).to.throw(AuthConfigurationError, /"mfa_token"/);
    for (const name of ['methods', 'mfa_token', 'mfa_required'])
      expect(configure({ issuer: 'Acme', methods: [method(name, 'proof')] }), name).to.throw(AuthConfigurationError, /cannot be named/);
    expect(configure({ issuer: 'Acme', methods: [method('sms', 'sms_code')] })).not.to.throw();
  });

  it('auth.ready() names the missing entities, and a TwoFactorController without twoFactor', async () => {
    const source = await dataSource([User, AccessToken]);
    const auth = new Auth<User>({ dataSource: source, userEntity: User, secret: SECRET, backends: backends(), twoFactor: { issuer: 'Acme' } });
    const problem = await auth.ready({ controllers: [] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(problem).to.be.instanceOf(AuthConfigurationError);
    expect(String((problem as Error).message)).to.match(/TwoFactorSecret/);

    const without = new Auth<User>({ dataSource: source, userEntity: User, secret: SECRET, backends: backends() });
    const missing = await without.ready({ controllers: [twoFactorRoutes(without)] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String((missing as Error)?.message)).to.match(/needs second factors: give Auth.configure a `twoFactor/);
  });

  it('counts factor kinds from amr, never assuming one', () => {
    expect(factorCount(undefined)).to.equal(0);
    expect(factorCount([])).to.equal(0);
    expect(factorCount(['pwd'])).to.equal(1);
    expect(factorCount(['pwd', 'otp'])).to.equal(2);
    expect(factorCount(['otp', 'otp', 'hwk'])).to.equal(1);
    expect(factorCount(['fed'])).to.equal(1);
    expect(factorCount(['fed', 'otp'])).to.equal(2);
    expect(factorCount(['mfa'])).to.equal(2);
    expect(factorCount(['pwd', 'hwk', 'fpt'])).to.equal(3);
    expect(factorCount(['made-up', 'user'])).to.equal(0);
  });

  it('@Authorized({ factors }) takes 1, 2 or 3, the strictest of the parts', () => {
    expect(accessRequirementOf([{ factors: 2 }, { factors: 1 }]).factors).to.equal(2);
    expect(accessRequirementOf([{ maxAgeSeconds: 60 }]).factors).to.equal(undefined);
    for (const factors of [0, 4, 1.5, '2']) expect(() => accessRequirementOf([{ factors }])).to.throw(AuthConfigurationError, /`factors`/);
  });

  it('`npx routing-controllers-auth migrations` creates the two-factor tables when the DataSource registers them', async () => {
    const source = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [User, TwoFactorSecret, RecoveryCode] });
    sources.push(source);
    await source.initialize();
    const { output } = await migrations(source, {});
    expect(output).to.contain('CREATE TABLE "two_factor_secret"').and.contain('CREATE TABLE "recovery_code"');
  });
});
