import { expect } from 'chai';
import { randomBytes } from 'crypto';
import { createClient } from 'redis';
import request from 'supertest';
import { JsonController } from 'routing-controllers';
import {
  Argon2PasswordHasher,
  AuthenticationBackend,
  BearerTransport,
  DatabaseStrategy,
  DEFAULT_RATE_LIMITS,
  RateLimits,
  RegisterController,
  ResetPasswordController,
  type AuthEvent,
  type RateLimitOptions,
} from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp } from '../support/app';
import { login } from '../support/http';

class CountingHasher extends Argon2PasswordHasher {
  verifications = 0;
  override verify(password: string, hashed: string) {
    this.verifications++;
    return super.verify(password, hashed);
  }
  override burn(password: string) {
    this.verifications++;
    return super.burn(password);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate limits (429 TOO_MANY_REQUESTS with Retry-After)', () => {
  let t: TestApp;
  const hasher = new CountingHasher();

  before(async () => {
    @JsonController('/auth')
    class Register extends RegisterController {}
    @JsonController('/auth')
    class Reset extends ResetPasswordController {}
    const rateLimits: RateLimitOptions = {
      limits: {
        login: { perIp: { points: 50, durationSeconds: 60 }, perAccount: { points: 3, durationSeconds: 1 } },
        register: { perIp: { points: 3, durationSeconds: 60 } },
        forgotPassword: { perIp: false, perAccount: { points: 2, durationSeconds: 60 } },
      },
    };
    t = await buildApp({ rateLimits, passwordHasher: hasher, extraControllers: [Register, Reset] });
    t.setTrustProxy(true);
    await createUser(t.auth, { email: 'locked@example.com' });
    await createUser(t.auth, { email: 'other@example.com' });
  });
  after(() => t.close());

  it('locks an account after its failed logins, before any password work, and leaves other accounts alone', async () => {
    for (let i = 0; i < 3; i++) expect((await login(t.app, 'jwt', 'locked@example.com', 'wrong password!')).status).to.equal(400);
    const verificationsBefore = hasher.verifications;
    const locked = await login(t.app, 'jwt', 'LOCKED@example.com', PASSWORD);
    expect(locked.status).to.equal(429);
    expect(locked.body.code).to.equal('TOO_MANY_REQUESTS');
    expect(Number(locked.headers['retry-after'])).to.be.within(1, 60);
    expect(hasher.verifications).to.equal(verificationsBefore);
    expect((await login(t.app, 'jwt', 'other@example.com')).status).to.equal(200);
  });

  it('unlocks the account by itself once the window has passed', async () => {
    await sleep(1100);
    expect((await login(t.app, 'jwt', 'locked@example.com')).status).to.equal(200);
  });

  it('a successful login gives the account its budget back', async () => {
    await sleep(1100);
    for (let i = 0; i < 2; i++) await login(t.app, 'jwt', 'other@example.com', 'wrong password!');
    expect((await login(t.app, 'jwt', 'other@example.com')).status).to.equal(200);
    for (let i = 0; i < 2; i++) expect((await login(t.app, 'jwt', 'other@example.com', 'wrong password!')).status).to.equal(400);
  });

  it('limits per client IP, as the framework reports it (trust proxy applies)', async () => {
    const register = (email: string, ip: string) => request(t.app).post('/auth/register').set('X-Forwarded-For', ip).send({ email, password: PASSWORD });
    for (let i = 0; i < 3; i++) expect((await register(`ip${i}@example.com`, '203.0.113.7')).status).to.equal(201);
    const refused = await register('ip3@example.com', '203.0.113.7');
    expect(refused.status).to.equal(429);
    expect(refused.body.code).to.equal('TOO_MANY_REQUESTS');
    expect((await register('ip4@example.com', '203.0.113.8')).status).to.equal(201);
  });

  it('limits forgot-password per account, identically for unknown emails (no enumeration)', async () => {
    const forgot = (email: string) => request(t.app).post('/auth/forgot-password').send({ email });
    for (const email of ['locked@example.com', 'nobody@example.com']) {
      expect((await forgot(email)).status).to.equal(202);
      expect((await forgot(email)).status).to.equal(202);
      const third = await forgot(email);
      expect(third.status).to.equal(429);
      expect(third.body).to.deep.equal({ code: 'TOO_MANY_REQUESTS', message: third.body.message });
    }
  });
});

describe('rate limits on POST /refresh: per session and per client IP', () => {
  let t: TestApp;
  const events: AuthEvent[] = [];

  before(async () => {
    t = await buildApp({
      rateLimits: { limits: { refresh: { perIp: { points: 6, durationSeconds: 60 }, perAccount: { points: 3, durationSeconds: 2 } } } },
      backends: [
        new AuthenticationBackend({
          name: 'r',
          transport: new BearerTransport({ tokenUrl: '/auth/r/login' }),
          strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
          refresh: { lifetimeSeconds: 3600 },
        }),
      ],
    });
    t.setTrustProxy(true);
    t.auth.events.on('event', (e: AuthEvent) => events.push(e));
    await createUser(t.auth, { email: 'refresher@example.com' });
  });
  after(() => t.close());

  const refresh = (ip: string, token: string) =>
    request(t.app).post('/auth/r/refresh').set('X-Forwarded-For', ip).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
  const loginFrom = async (ip: string) => {
    const res = await request(t.app)
      .post('/auth/r/login')
      .set('X-Forwarded-For', ip)
      .type('form')
      .send({ username: 'refresher@example.com', password: PASSWORD });
    expect(res.status).to.equal(200);
    return res.body.refresh_token as string;
  };

  it('a session refreshing past its budget → 429 + Retry-After, its token not used up; another session of the same client goes on', async () => {
    let token = await loginFrom('203.0.113.10');
    for (let i = 0; i < 3; i++) {
      const res = await refresh('203.0.113.10', token);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      token = res.body.refresh_token; // every rotation hands out a new token: the budget is the session's
    }
    const refused = await refresh('203.0.113.10', token);
    expect(refused.status).to.equal(429);
    expect(refused.body.code).to.equal('TOO_MANY_REQUESTS');
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 2);
    expect(events.some((e) => e.type === 'rate.limited' && e.action === 'refresh')).to.equal(true);

    const other = await loginFrom('203.0.113.10');
    expect((await refresh('203.0.113.10', other)).status).to.equal(200);

    await sleep(2100);
    expect((await refresh('203.0.113.10', token)).status, 'the refused token still rotates once the window has passed').to.equal(200);
  });

  it('a client sending refresh tokens past its IP budget → 429 before any look-up, unknown and valid tokens alike; other clients go on', async () => {
    for (let i = 0; i < 6; i++) expect((await refresh('203.0.113.20', `unknown-${i}-${'x'.repeat(40)}`)).status).to.equal(400);
    const token = await loginFrom('203.0.113.21');
    const refused = await refresh('203.0.113.20', token);
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    expect((await refresh('203.0.113.21', token)).status).to.equal(200);
  });

  it('defaults: 1000 per 15 minutes per IP, 30 per 15 minutes per session', () => {
    expect(DEFAULT_RATE_LIMITS.refresh).to.deep.equal({ perIp: { points: 1000, durationSeconds: 900 }, perAccount: { points: 30, durationSeconds: 900 } });
  });
});

describe('rate limits shared through Redis by several instances', () => {
  it('counts attempts made on either instance against one budget', async () => {
    const client = createClient({ url: process.env.TEST_REDIS_URL });
    await client.connect();
    try {
      const options: RateLimitOptions = {
        redis: client,
        keyPrefix: `test:${randomBytes(4).toString('hex')}:`,
        limits: { login: { perIp: { points: 3, durationSeconds: 60 } } },
      };
      const a = new RateLimits(options);
      const b = new RateLimits(options);
      await a.consume('login', { ip: '198.51.100.1' });
      await b.consume('login', { ip: '198.51.100.1' });
      await a.consume('login', { ip: '198.51.100.1' });
      let refused: any;
      await b.consume('login', { ip: '198.51.100.1' }).catch((e) => (refused = e));
      expect(refused?.code).to.equal('TOO_MANY_REQUESTS');
      expect(Number(refused.headers['Retry-After'])).to.be.greaterThan(0);
      await a.consume('login', { ip: '198.51.100.2' });
    } finally {
      client.destroy();
    }
  });
});

describe('rate limits and the outage rule', () => {
  const limits = { login: { perIp: { points: 2, durationSeconds: 60 }, perAccount: false as const } };

  it('a Redis that cannot be reached: counting goes on in memory, budgets still hold', async () => {
    const client = createClient({ url: process.env.TEST_REDIS_URL, disableOfflineQueue: true });
    client.on('error', () => undefined);
    await client.connect();
    client.destroy(); // closed: every command fails with node-redis' ClientClosedError
    const limiter = new RateLimits({ redis: client, keyPrefix: `test:${randomBytes(4).toString('hex')}:`, limits });
    await limiter.consume('login', { ip: '198.51.100.7' });
    await limiter.consume('login', { ip: '198.51.100.7' });
    const refused = await limiter.consume('login', { ip: '198.51.100.7' }).then(
      () => null,
      (e) => e,
    );
    expect(refused?.code).to.equal('TOO_MANY_REQUESTS');
  });

  it('an error that is no outage (a key of the wrong type) surfaces instead of falling back', async () => {
    const client = createClient({ url: process.env.TEST_REDIS_URL });
    await client.connect();
    try {
      const keyPrefix = `test:${randomBytes(4).toString('hex')}:`;
      // rate-limiter-flexible's key for this budget, made a hash: INCR on it is a WRONGTYPE error reply.
      await client.hSet(`${keyPrefix}login:perIp:198.51.100.8`, 'not', 'a counter');
      const limiter = new RateLimits({ redis: client, keyPrefix, limits });
      const failure = await limiter.consume('login', { ip: '198.51.100.8' }).then(
        () => null,
        (e) => e,
      );
      expect(failure, 'the WRONGTYPE error').to.be.instanceOf(Error);
      expect(String(failure.message)).to.match(/WRONGTYPE/);
    } finally {
      client.destroy();
    }
  });
});
