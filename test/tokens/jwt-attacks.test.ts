import { expect } from 'chai';
import { createHmac, generateKeyPairSync, randomBytes } from 'crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { AuthConfigurationError, JwtStrategy, type AuthEvent } from '../../src';
import { buildApp, createUser, SECRET, type TestApp, type User } from '../support/app';
import { bearerToken } from '../support/http';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const sign = (input: string, secret: string, alg = 'sha256') => createHmac(alg, secret).update(input).digest('base64url');

/** Builds a JWT by hand so every part can be wrong on purpose. */
function forge(header: object, payload: object, secret = SECRET, alg = 'sha256'): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(input, secret, alg)}`;
}

describe('JWT strategy: attacks on /items (401 UNAUTHORIZED, invalid_token)', () => {
  let t: TestApp;
  let user: User;
  let valid: string;
  const now = () => Math.floor(Date.now() / 1000);
  const goodPayload = () => ({ sub: user.id, aud: 'routing-controllers-auth:auth', iat: now(), exp: now() + 600, scope: '' });
  const header = { alg: 'HS256', typ: 'at+jwt' };

  before(async () => {
    t = await buildApp();
    user = await createUser(t.auth, { email: 'victim@example.com', scopes: ['items:write'] });
    valid = await bearerToken(t.app, 'jwt', 'victim@example.com');
  });
  after(() => t.close());

  async function expectRejected(token: string) {
    const res = await request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
    expect(res.status, token.slice(0, 80)).to.equal(401);
    expect(res.body).to.deep.equal({ code: 'UNAUTHORIZED', message: 'The access token is invalid or expired.' });
    expect(res.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
    expect(JSON.stringify(res.body)).not.to.contain('stack');
  }

  it('accepts the hand-forged control token (so the negative cases below test what they claim)', async () => {
    const res = await request(t.app)
      .get('/items')
      .set('Authorization', `Bearer ${forge(header, goodPayload())}`);
    expect(res.status).to.equal(200);
  });

  it('refuses alg "none" (with and without a signature)', async () => {
    const input = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(goodPayload())}`;
    await expectRejected(`${input}.`);
    await expectRejected(`${input}.${sign(input, SECRET)}`);
  });

  it('refuses another HS algorithm made with the right secret (HS512 when HS256 is pinned)', async () => {
    await expectRejected(forge({ alg: 'HS512', typ: 'at+jwt' }, goodPayload(), SECRET, 'sha512'));
  });

  it('refuses a flipped signature, a swapped payload and a truncated token', async () => {
    const [h, p, s] = valid.split('.');
    const flipped = s[5] === 'A' ? `${s.slice(0, 5)}B${s.slice(6)}` : `${s.slice(0, 5)}A${s.slice(6)}`;
    await expectRejected(`${h}.${p}.${flipped}`);
    const other = b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'items:write superuser' });
    await expectRejected(`${h}.${other}.${s}`);
    await expectRejected(valid.slice(0, -10));
    await expectRejected(`${h}.${p}`);
  });

  it('refuses expired tokens and tokens without exp', async () => {
    await expectRejected(forge(header, { ...goodPayload(), iat: now() - 100, exp: now() - 10 }));
    const { exp: _exp, ...noExp } = goodPayload();
    await expectRejected(forge(header, noExp));
  });

  it('refuses a wrong or missing audience, a non-access-token typ and a bad sub/scope claim', async () => {
    await expectRejected(forge(header, { ...goodPayload(), aud: 'routing-controllers-auth:reset' }));
    const { aud: _aud, ...noAud } = goodPayload();
    await expectRejected(forge(header, noAud));
    await expectRejected(forge({ alg: 'HS256', typ: 'JWT' }, goodPayload()));
    await expectRejected(forge({ alg: 'HS256' }, goodPayload()));
    await expectRejected(forge(header, { ...goodPayload(), sub: 42 }));
    await expectRejected(forge(header, { ...goodPayload(), scope: ['items:write'] }));
  });

  it('refuses an iat more than 30 s in the future (reason invalid_claims), every time, and accepts one within the leeway', async () => {
    const reasons: string[] = [];
    const listener = (e: AuthEvent) => e.type === 'token.rejected' && e.backend === 'jwt' && reasons.push(e.reason);
    t.auth.events.on('event', listener);
    try {
      const future = forge(header, { ...goodPayload(), iat: now() + 120, exp: now() + 600 });
      // Twice: a refusal is not remembered by the verified-token cache, nor turned into an acceptance.
      await expectRejected(future);
      await expectRejected(future);
      expect(reasons).to.deep.equal(['invalid_claims', 'invalid_claims']);
      await expectRejected(forge(header, { ...goodPayload(), iat: 'soon' }));
      const skewed = forge(header, { ...goodPayload(), iat: now() + 20 });
      expect((await request(t.app).get('/items').set('Authorization', `Bearer ${skewed}`)).status).to.equal(200);
    } finally {
      t.auth.events.off('event', listener);
    }
  });

  it('issuedAtLeewaySeconds: the leeway is configurable, cache on or off, and must be a number ≥ 0', () => {
    const payload = (iat: number) => ({ sub: 'u1', aud: 'routing-controllers-auth:auth', iat, exp: now() + 600, scope: '' });
    for (const verifiedTokenCacheSize of [0, 100]) {
      const strict = new JwtStrategy({ secret: SECRET, issuedAtLeewaySeconds: 5, verifiedTokenCacheSize });
      expect(strict.inspect(forge(header, payload(now() + 60)))).to.deep.equal({ rejected: 'invalid_claims' });
      expect(strict.inspect(forge(header, payload(now() + 60)))).to.deep.equal({ rejected: 'invalid_claims' });
      expect(strict.verify(forge(header, payload(now() + 2)))?.userId).to.equal('u1');
      const loose = new JwtStrategy({ secret: SECRET, issuedAtLeewaySeconds: 120, verifiedTokenCacheSize });
      expect(loose.verify(forge(header, payload(now() + 60)))?.userId).to.equal('u1');
    }
    expect(new JwtStrategy({ secret: SECRET }).issuedAtLeewaySeconds).to.equal(30);
    for (const bad of [-1, Number.NaN, Infinity]) {
      expect(() => new JwtStrategy({ secret: SECRET, issuedAtLeewaySeconds: bad })).to.throw(AuthConfigurationError, /issuedAtLeewaySeconds/);
    }
  });

  it('refuses a token signed with another secret', async () => {
    await expectRejected(forge(header, goodPayload(), 'another-secret-0123456789-abcdefghijklmnopqrstuvwxyz'));
  });

  it('refuses malformed tokens: 12 KB, non-base64, 2 or 4 segments, non-JSON header, empty', async () => {
    await expectRejected('a'.repeat(12 * 1024));
    await expectRejected(`${'x'.repeat(6000)}.${'y'.repeat(6000)}.${'z'.repeat(100)}`);
    await expectRejected('!!!.@@@.###');
    await expectRejected('abc.def');
    await expectRejected(`${valid}.extra`);
    await expectRejected(`${b64('not json')}.${b64(goodPayload())}.${sign('x', SECRET)}`);
    await expectRejected(`${b64({ alg: 'HS256', typ: 'at+jwt' })}.${b64('[1,2')}.${sign('x', SECRET)}`);
  });

  it('refuses a token for a user that does not exist, and for an inactive user', async () => {
    await expectRejected(forge(header, { ...goodPayload(), sub: '00000000-0000-4000-8000-000000000000' }));
    await expectRejected(forge(header, { ...goodPayload(), sub: "' OR 1=1 --" }));
    const inactive = await createUser(t.auth, { email: 'inactive@example.com', isActive: false });
    await expectRejected(forge(header, { ...goodPayload(), sub: inactive.id }));
  });

  it('answers malformed Authorization headers with a plain 401', async () => {
    for (const value of ['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a b', `Bearer ${'a'.repeat(9000)}`]) {
      const res = await request(t.app).get('/items').set('Authorization', value);
      expect(res.status, value.slice(0, 30)).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
    }
  });

  it('reads the Bearer scheme case-insensitively', async () => {
    const res = await request(t.app).get('/items').set('Authorization', `bEaReR ${valid}`);
    expect(res.status).to.equal(200);
  });
});

describe('JwtStrategy configuration and claims', () => {
  it('refuses an HS secret shorter than 32 bytes at configuration time', () => {
    expect(() => new JwtStrategy({ secret: 'short-secret' })).to.throw(/at least 32/);
    expect(() => new JwtStrategy({ secret: 'x'.repeat(31) })).to.throw(/at least 32/);
    // 32 bytes, but no secret: the strength check refuses it (see secret-strength.test.ts).
    expect(() => new JwtStrategy({ secret: 'x'.repeat(32) })).to.throw(/repeats one short sequence/);
    expect(() => new JwtStrategy({ secret: randomBytes(32) })).not.to.throw();
  });

  it('refuses a PEM key with an HS algorithm and a key that does not fit its algorithm', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => new JwtStrategy({ secret: pem })).to.throw(/PEM key/);
    expect(() => new JwtStrategy({ algorithm: 'ES256', secret: pem })).to.throw(/does not fit ES256/);
  });

  it('writes sub, aud, iat, exp, scope (RFC 9068) and typ at+jwt, pinned to HS256', async () => {
    const strategy = new JwtStrategy({ secret: SECRET, lifetimeSeconds: 120 });
    const token = await strategy.write({ userId: 'u-1', scopes: ['a', 'b'], lifetimeSeconds: null });
    const decoded = jwt.decode(token, { complete: true })!;
    const claims = decoded.payload as jwt.JwtPayload;
    expect(decoded.header).to.include({ alg: 'HS256', typ: 'at+jwt' });
    expect(claims).to.include({ sub: 'u-1', aud: 'routing-controllers-auth:auth', scope: 'a b' });
    expect(claims.exp! - Math.floor(claims.iat!)).to.equal(120);
    expect(claims.jti).to.be.a('string');
    const grant = await strategy.read(token);
    expect(grant).to.deep.include({ userId: 'u-1', scopes: ['a', 'b'], tokenId: claims.jti, expiresAt: new Date(claims.exp! * 1000) });
  });

  it('signs RS256 from a passphrase-protected key and verifies with a verify-only instance', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass phrase' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const signer = new JwtStrategy({ algorithm: 'RS256', secret: { privateKey, passphrase: 'pass phrase' } });
    const verifier = new JwtStrategy({ algorithm: 'RS256', publicKey });
    const token = await signer.write({ userId: 'u-2', scopes: [], lifetimeSeconds: 60 });
    expect(await verifier.read(token)).to.deep.include({ userId: 'u-2', scopes: [] });
    let refused: unknown;
    await verifier.write({ userId: 'u', scopes: [], lifetimeSeconds: 60 }).catch((e) => (refused = e));
    expect(String(refused)).to.match(/only verifies/);
    // Algorithm confusion: an HS256 token "signed" with the public key's PEM is refused.
    const confused = forge(
      { alg: 'HS256', typ: 'at+jwt' },
      { sub: 'u-2', aud: 'routing-controllers-auth:auth', exp: Math.floor(Date.now() / 1000) + 60 },
      publicKey,
    );
    expect(await verifier.read(confused)).to.deep.equal({ rejected: 'bad_signature' });
  });
});
