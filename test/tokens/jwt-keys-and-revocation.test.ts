import { expect } from 'chai';
import { createHmac, generateKeyPairSync, randomBytes } from 'crypto';
import { createClient } from 'redis';
import request from 'supertest';
import {
  AuthenticationBackend,
  BearerTransport,
  DatabaseRevocationStore,
  JwtStrategy,
  RedisRevocationStore,
  type JwtAlgorithm,
  type RevocationStore,
} from '../../src';
import { buildApp, createUser, PASSWORD, SECRET, type DataSourceKind, type TestApp, type User } from '../support/app';
import { bearerToken } from '../support/http';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function keysFor(algorithm: JwtAlgorithm) {
  if (algorithm.startsWith('HS')) return { secret: randomBytes(64).toString('base64url') };
  const pair = algorithm.startsWith('ES')
    ? generateKeyPairSync('ec', { namedCurve: { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }[algorithm as 'ES256'] })
    : algorithm === 'PS384'
      ? generateKeyPairSync('rsa-pss', { modulusLength: 2048, hashAlgorithm: 'sha384', mgf1HashAlgorithm: 'sha384', saltLength: 48 } as any)
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { secret: pair.privateKey, publicKey: pair.publicKey };
}

describe('JwtStrategy: algorithm families, rotation and confusion', () => {
  const algorithms: JwtAlgorithm[] = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
  for (const algorithm of algorithms) {
    it(`${algorithm}: signs, verifies, and refuses a token of another key`, async () => {
      const keys = keysFor(algorithm);
      const strategy = new JwtStrategy({ algorithm, secret: keys.secret });
      const token = await strategy.write({ userId: 'u', scopes: ['s'], lifetimeSeconds: 60 });
      expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).alg).to.equal(algorithm);
      expect(await strategy.read(token)).to.deep.include({ userId: 'u', scopes: ['s'] });
      if (keys.publicKey) expect(await new JwtStrategy({ algorithm, publicKey: keys.publicKey }).read(token)).to.deep.include({ userId: 'u' });
      const stranger = new JwtStrategy({ algorithm, secret: keysFor(algorithm).secret });
      expect(await stranger.read(token)).to.deep.equal({ rejected: 'bad_signature' });
    });
  }

  it('refuses keys of the wrong type or curve for the algorithm', () => {
    const ec256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => new JwtStrategy({ algorithm: 'ES384', secret: ec256.privateKey })).to.throw(/does not fit ES384/);
    expect(() => new JwtStrategy({ algorithm: 'RS256', secret: ec256.privateKey })).to.throw(/does not fit RS256/);
    expect(() => new JwtStrategy({ algorithm: 'ES256', publicKey: rsa.publicKey })).to.throw(/does not fit ES256/);
    expect(() => new JwtStrategy({ algorithm: 'HS256', secret: rsa.privateKey })).to.throw(/secret key/);
    expect(() => new JwtStrategy({ algorithm: 'RS256' })).to.throw(/private key .* or a publicKey/);
    const unrestrictedPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    expect(() => new JwtStrategy({ algorithm: 'PS256', secret: unrestrictedPss.privateKey })).to.throw(/RSA-PSS key is not restricted/);
  });

  it('rotates keys by kid: old tokens verify with the old key, new ones are signed with the current key', async () => {
    const old = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const current = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const before = new JwtStrategy({ algorithm: 'RS256', secret: old.privateKey, kid: '2026-05' });
    const oldToken = await before.write({ userId: 'u', scopes: [], lifetimeSeconds: 60 });
    const after = new JwtStrategy({
      algorithm: 'ES256',
      secret: current.privateKey,
      kid: '2026-11',
      previousKeys: [{ kid: '2026-05', algorithm: 'RS256', publicKey: old.publicKey }],
    });
    const newToken = await after.write({ userId: 'u', scopes: [], lifetimeSeconds: 60 });
    expect(JSON.parse(Buffer.from(newToken.split('.')[0], 'base64url').toString())).to.include({ alg: 'ES256', kid: '2026-11' });
    expect(await after.read(oldToken)).to.deep.include({ userId: 'u' });
    expect(await after.read(newToken)).to.deep.include({ userId: 'u' });
    // Once the old key is dropped from configuration, its tokens die.
    const later = new JwtStrategy({ algorithm: 'ES256', secret: current.privateKey, kid: '2026-11', previousKeys: [] });
    expect(await later.read(oldToken)).to.deep.equal({ rejected: 'bad_signature' });
    expect(await later.read(newToken)).to.deep.include({ userId: 'u' });
  });

  it('refuses unknown kids, a kid naming a key of another algorithm, and ignores jku / x5u / jwk', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const strategy = new JwtStrategy({ secret: SECRET, kid: 'hs', previousKeys: [{ kid: 'rsa', algorithm: 'RS256', publicKey: rsa.publicKey }] });
    const payload = { sub: 'u', aud: 'routing-controllers-auth:auth', exp: Math.floor(Date.now() / 1000) + 60, scope: '' };
    const hs = (header: object) => {
      const input = `${b64(header)}.${b64(payload)}`;
      return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
    };
    expect(await strategy.read(hs({ alg: 'HS256', typ: 'at+jwt', kid: 'hs' }))).to.deep.include({ userId: 'u' });
    expect(await strategy.read(hs({ alg: 'HS256', typ: 'at+jwt', kid: 'unknown' }))).to.deep.equal({ rejected: 'bad_signature' });
    expect(await strategy.read(hs({ alg: 'HS256', typ: 'at+jwt', kid: 42 }))).to.deep.equal({ rejected: 'bad_signature' });
    // Algorithm confusion: an HS256 token naming the RSA key, "signed" with the RSA public key's PEM.
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'rsa' })}.${b64(payload)}`;
    expect(await strategy.read(`${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`)).to.deep.equal({ rejected: 'bad_signature' });
    // Keys offered by the token itself are never used.
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    const { sign } = await import('crypto');
    for (const header of [
      { alg: 'RS256', typ: 'at+jwt', jwk },
      { alg: 'RS256', typ: 'at+jwt', jku: 'http://127.0.0.1:1/keys' },
      { alg: 'RS256', typ: 'at+jwt', x5u: 'http://127.0.0.1:1/x5' },
    ]) {
      const signingInput = `${b64(header)}.${b64(payload)}`;
      const signature = sign('sha256', Buffer.from(signingInput), attacker.privateKey).toString('base64url');
      expect(await strategy.read(`${signingInput}.${signature}`)).to.deep.equal({ rejected: 'bad_signature' });
    }
  });

  it('refuses configuration mistakes: duplicate kids, previous keys without a current kid', () => {
    expect(() => new JwtStrategy({ secret: SECRET, kid: 'a', previousKeys: [{ kid: 'a', algorithm: 'HS256', secret: SECRET }] })).to.throw(/two keys/);
    expect(() => new JwtStrategy({ secret: SECRET, previousKeys: [{ kid: 'a', algorithm: 'HS256', secret: SECRET }] })).to.throw(/kid/);
  });
});

function revocationSuite(
  name: string,
  makeStore: () => Promise<{ store: RevocationStore; close(): Promise<void> }>,
  dataSourceKind: DataSourceKind = 'sqlite',
) {
  describe(`JWT revocation with ${name}`, () => {
    let t: TestApp;
    let user: User;
    let closeStore: () => Promise<void>;

    before(async () => {
      const made = await makeStore();
      const { store } = made;
      closeStore = () => made.close();
      t = await buildApp({
        dataSourceKind,
        backends: [
          new AuthenticationBackend({
            name: 'jwt',
            transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
            strategy: new JwtStrategy({ secret: SECRET, revocation: store }),
          }),
        ],
      });
      user = await createUser(t.auth, { email: 'revoke@example.com' });
    });
    after(async () => {
      await t.close();
      await closeStore();
    });

    const get = (token: string) => request(t.app).get('/items').set('Authorization', `Bearer ${token}`);

    it('logout revokes that token only, at once', async () => {
      const a = await bearerToken(t.app, 'jwt', 'revoke@example.com');
      const b = await bearerToken(t.app, 'jwt', 'revoke@example.com');
      expect((await get(a)).status).to.equal(200);
      expect((await request(t.app).post('/auth/jwt/logout').set('Authorization', `Bearer ${a}`)).status).to.equal(204);
      expect((await get(a)).status).to.equal(401);
      expect((await request(t.app).post('/auth/jwt/logout').set('Authorization', `Bearer ${a}`)).status).to.equal(401);
      expect((await get(b)).status).to.equal(200);
    });

    it('"log out everywhere" cuts off every earlier token; a login right after works', async () => {
      const a = await bearerToken(t.app, 'jwt', 'revoke@example.com');
      const b = await t.auth.createToken(user, { lifetimeSeconds: 600 });
      await t.auth.revokeAllTokens(user.id);
      expect((await get(a)).status).to.equal(401);
      expect((await get(b)).status).to.equal(401);
      const fresh = await bearerToken(t.app, 'jwt', 'revoke@example.com');
      expect((await get(fresh)).status).to.equal(200);
    });

    it('keeps a deny-list entry only until the token expires (purgeExpired / TTL)', async () => {
      // Three seconds (`exp` is whole seconds, so one could be gone before the logout arrives on a busy machine).
      const short = await t.auth.createToken(user, { lifetimeSeconds: 3 });
      expect((await request(t.app).post('/auth/jwt/logout').set('Authorization', `Bearer ${short}`)).status).to.equal(204);
      expect((await get(short)).status).to.equal(401);
      await new Promise((resolve) => setTimeout(resolve, 4100));
      const store = (t.auth.getBackend('jwt').strategy as JwtStrategy).revocation;
      if (store instanceof DatabaseRevocationStore) expect(await store.purgeExpired()).to.be.greaterThan(0);
      expect((await get(short)).status).to.equal(401);
    });

    it('a password reset or change cuts off earlier tokens', async () => {
      const a = await bearerToken(t.app, 'jwt', 'revoke@example.com');
      const resetToken = await t.auth.userManager.forgotPassword(user);
      await t.auth.userManager.resetPassword(resetToken!, 'a brand new passphrase');
      expect((await get(a)).status).to.equal(401);
      const b = await bearerToken(t.app, 'jwt', 'revoke@example.com', 'a brand new passphrase');
      const current = (await t.auth.userManager.get(user.id))!;
      await t.auth.userManager.update(current, { password: PASSWORD });
      expect((await get(b)).status).to.equal(401);
      expect((await get(await bearerToken(t.app, 'jwt', 'revoke@example.com'))).status).to.equal(200);
    });
  });
}

revocationSuite('DatabaseRevocationStore (SQLite)', async () => ({ store: new DatabaseRevocationStore(), close: async () => undefined }));
revocationSuite('DatabaseRevocationStore (PostgreSQL)', async () => ({ store: new DatabaseRevocationStore(), close: async () => undefined }), 'postgres');
revocationSuite('RedisRevocationStore', async () => {
  const client = createClient({ url: process.env.TEST_REDIS_URL, disableOfflineQueue: true });
  await client.connect();
  return { store: new RedisRevocationStore({ redis: client, keyPrefix: `test:${randomBytes(4).toString('hex')}:` }), close: async () => void client.destroy() };
});

describe('JWT without a revocation store', () => {
  it('logout answers 204 and the token lives on until exp (documented)', async () => {
    const t = await buildApp();
    try {
      await createUser(t.auth, { email: 'stateless@example.com' });
      const token = await bearerToken(t.app, 'jwt', 'stateless@example.com');
      expect((await request(t.app).post('/auth/jwt/logout').set('Authorization', `Bearer ${token}`)).status).to.equal(204);
      expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(200);
    } finally {
      await t.close();
    }
  });
});
