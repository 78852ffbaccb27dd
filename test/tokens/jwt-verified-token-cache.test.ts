import { expect } from 'chai';
import { createHmac } from 'crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { AuthConfigurationError, JwtStrategy } from '../../src';
import { buildApp, createUser, SECRET, type TestApp, type User } from '../support/app';

const USER_ID = '3f0c6a52-5d0e-4b7a-9c1e-2a8f5d6b7c90';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Counts jsonwebtoken verifications (the real function still runs) while `body` runs. */
async function countVerifications(body: () => unknown): Promise<number> {
  const real = jwt.verify;
  let calls = 0;
  (jwt as { verify: unknown }).verify = (...args: unknown[]) => {
    calls++;
    return (real as (...a: unknown[]) => unknown)(...args);
  };
  try {
    await body();
  } finally {
    (jwt as { verify: unknown }).verify = real;
  }
  return calls;
}

function signedWithNotBefore(secret: string): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'HS256', typ: 'at+jwt' })}.${b64({ sub: USER_ID, aud: 'routing-controllers-auth:auth', iat: now, nbf: now - 5, exp: now + 600, scope: '' })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

describe('JwtStrategy: verified-token cache', () => {
  const write = (strategy: JwtStrategy, lifetimeSeconds = 600) => strategy.write({ userId: USER_ID, scopes: ['a', 'b'], lifetimeSeconds });

  it('verifies a token once, then answers from the cache with the same (frozen) grant', async () => {
    const strategy = new JwtStrategy({ secret: SECRET });
    const token = await write(strategy);
    let first: unknown;
    let second: unknown;
    const calls = await countVerifications(() => {
      first = strategy.verify(token);
      second = strategy.verify(token);
    });
    expect(calls).to.equal(1);
    expect(first).to.include({ userId: USER_ID });
    expect(second).to.equal(first);
    expect(Object.isFrozen(first)).to.equal(true);
    expect(Object.isFrozen((first as { scopes: string[] }).scopes)).to.equal(true);
  });

  it('verifies every time with verifiedTokenCacheSize: 0, and for tokens carrying nbf', async () => {
    const uncached = new JwtStrategy({ secret: SECRET, verifiedTokenCacheSize: 0 });
    const token = await write(uncached);
    expect(await countVerifications(() => [uncached.verify(token), uncached.verify(token)])).to.equal(2);

    const cached = new JwtStrategy({ secret: SECRET });
    const withNbf = signedWithNotBefore(SECRET);
    let grant: unknown;
    expect(await countVerifications(() => [(grant = cached.verify(withNbf)), cached.verify(withNbf)])).to.equal(2);
    expect(grant).to.include({ userId: USER_ID });
  });

  it('never caches a refusal: a forged token is verified (and refused) every time', async () => {
    const strategy = new JwtStrategy({ secret: SECRET });
    const forged = await write(new JwtStrategy({ secret: 'another-secret-0123456789-abcdefghijklmnopqrstuvwxyz' }));
    let results: unknown[] = [];
    expect(await countVerifications(() => (results = [strategy.inspect(forged), strategy.inspect(forged)]))).to.equal(2);
    expect(results).to.deep.equal([{ rejected: 'bad_signature' }, { rejected: 'bad_signature' }]);
  });

  it('keeps at most verifiedTokenCacheSize tokens, evicting the least recently used', async () => {
    const strategy = new JwtStrategy({ secret: SECRET, verifiedTokenCacheSize: 2 });
    const [a, b, c] = await Promise.all([write(strategy), write(strategy), write(strategy)]);
    expect(await countVerifications(() => [strategy.verify(a), strategy.verify(b), strategy.verify(a), strategy.verify(c)])).to.equal(3);
    // c evicted b (a was used more recently): a is still cached, b must be verified again.
    expect(await countVerifications(() => strategy.verify(a))).to.equal(0);
    expect(await countVerifications(() => strategy.verify(b))).to.equal(1);
  });

  it('refuses a cached token once it expires', async () => {
    const strategy = new JwtStrategy({ secret: SECRET });
    const token = await write(strategy, 1);
    expect(strategy.verify(token)).to.include({ userId: USER_ID });
    const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp as number;
    await sleep(exp * 1000 - Date.now() + 20);
    expect(strategy.inspect(token)).to.deep.equal({ rejected: 'expired' });
  });

  it('refuses a size that is not a whole number ≥ 0 at configuration', () => {
    for (const size of [-1, 1.5, Number.NaN]) {
      expect(() => new JwtStrategy({ secret: SECRET, verifiedTokenCacheSize: size }), String(size)).to.throw(AuthConfigurationError, /verifiedTokenCacheSize/);
    }
  });

  describe('on /items', () => {
    let t: TestApp;
    let user: User;
    before(async () => {
      t = await buildApp();
      user = await createUser(t.auth, { email: 'cached@example.com' });
    });
    after(() => t.close());

    const get = (token: string) => request(t.app).get('/items').set('Authorization', `Bearer ${token}`);

    it('still reads the user on every request: a deactivated user is refused at once, though the token is cached', async () => {
      const token = await t.auth.createToken(user, { backend: 'jwt' });
      expect((await get(token)).status).to.equal(200);
      await t.auth.userManager.update(user, { isActive: false }, { safe: false });
      const refused = await get(token);
      expect(refused.status).to.equal(401);
      expect(refused.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
      await t.auth.userManager.update(user, { isActive: true }, { safe: false });
      expect((await get(token)).status).to.equal(200);
    });

    it('refuses tampered copies of a cached token', async () => {
      const token = await t.auth.createToken(user, { backend: 'jwt' });
      expect((await get(token)).status).to.equal(200);
      const [h, p, s] = token.split('.');
      const flipped = s[5] === 'A' ? `${s.slice(0, 5)}B${s.slice(6)}` : `${s.slice(0, 5)}A${s.slice(6)}`;
      const escalated = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'superuser' })).toString('base64url');
      for (const tampered of [`${h}.${p}.${flipped}`, `${h}.${escalated}.${s}`, `${token}A`]) {
        expect((await get(tampered)).status, tampered.slice(-12)).to.equal(401);
      }
      expect((await get(token)).status).to.equal(200);
    });

    it('answers 401 invalid_token once a cached token expires', async () => {
      const token = await t.auth.createToken(user, { backend: 'jwt', lifetimeSeconds: 1 });
      expect((await get(token)).status).to.equal(200);
      const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp as number;
      await sleep(exp * 1000 - Date.now() + 20);
      const res = await get(token);
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
    });
  });
});
