/**
 * Two app instances on one PostgreSQL and one Redis (as behind a load balancer): a login that
 * stops for its second factor on one instance is finished on the other, once; a TOTP code used
 * on one is refused on the other.
 */
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import { createClient, type RedisClientType } from 'redis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AccessToken, AuthSession, JwtRevocation, RecoveryCode, RedisPendingLoginStore, RefreshToken, TwoFactorSecret } from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp, User } from '../support/app';
import { bearerToken } from '../support/http';
import { testPostgres } from '../support/services';
import { enrolTotp, mfaToken, totpCode, twoFactorRoutes } from '../support/two-factor';

describe('two-factor login across two instances (PostgreSQL + Redis)', function () {
  this.timeout(40_000);
  const entities = [User, AccessToken, JwtRevocation, AuthSession, RefreshToken, TwoFactorSecret, RecoveryCode];
  const keyPrefix = `rcauth-mfa-two:${randomBytes(4).toString('hex')}:`;
  let a: TestApp;
  let b: TestApp;
  const clients: RedisClientType[] = [];

  async function instance(url: string, synchronize: boolean): Promise<TestApp> {
    const redis: RedisClientType = createClient({ url: process.env.TEST_REDIS_URL });
    redis.on('error', () => undefined);
    await redis.connect();
    clients.push(redis);
    const dataSource = new DataSource({ type: 'postgres', url, entities, synchronize });
    await dataSource.initialize();
    const app = await buildApp({
      dataSource,
      twoFactor: { issuer: 'RCA Test', store: new RedisPendingLoginStore({ redis, keyPrefix }) },
      extraControllers: (auth) => [twoFactorRoutes(auth)],
    });
    await app.auth.ready({ controllers: [] });
    return app;
  }

  before(async () => {
    const url = await testPostgres().createDatabase(`mfa_two_${randomBytes(4).toString('hex')}`);
    a = await instance(url, true);
    b = await instance(url, false);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    for (const client of clients) client.destroy();
  });

  it('a token issued by one instance is redeemed on the other, once; a code used on one is refused on the other', async () => {
    const email = `two-${randomBytes(4).toString('hex')}@example.com`;
    await createUser(a.auth, { email });
    const { secret } = await enrolTotp(a.app, await bearerToken(a.app, 'jwt', email));

    const token = await mfaToken(a.app, 'jwt', email, PASSWORD);
    const code = totpCode(secret, 1);
    const onB = await request(b.app).post('/auth/2fa/verify').send({ mfa_token: token, code });
    expect(onB.status, JSON.stringify(onB.body)).to.equal(200);
    expect((await request(a.app).get('/items').set('Authorization', `Bearer ${onB.body.access_token}`)).body).to.deep.equal({ owner: email });

    const again = await request(a.app)
      .post('/auth/2fa/verify')
      .send({ mfa_token: token, code: totpCode(secret, 0) });
    expect(again.status).to.equal(400);
    expect(again.body.code).to.equal('MFA_TOKEN_INVALID');

    // The code of that step was used on B: refused on A, on a fresh token.
    const replay = await request(a.app)
      .post('/auth/2fa/verify')
      .send({ mfa_token: await mfaToken(a.app, 'jwt', email, PASSWORD), code });
    expect(replay.status).to.equal(400);
    expect(replay.body.code).to.equal('MFA_CODE_INVALID');
  });

  it('of two concurrent verifies of one token on the two instances, exactly one logs in', async () => {
    const email = `two-${randomBytes(4).toString('hex')}@example.com`;
    await createUser(a.auth, { email });
    const { secret, recoveryCodes } = await enrolTotp(b.app, await bearerToken(b.app, 'jwt', email));
    for (let round = 0; round < 3; round++) {
      const token = await mfaToken(b.app, 'jwt', email, PASSWORD);
      const answers = await Promise.all([
        request(a.app)
          .post('/auth/2fa/verify')
          .send({ mfa_token: token, recovery_code: recoveryCodes[2 * round] }),
        request(b.app)
          .post('/auth/2fa/verify')
          .send({ mfa_token: token, recovery_code: recoveryCodes[2 * round + 1] }),
      ]);
      expect(answers.map((r) => r.status).sort(), JSON.stringify(answers.map((r) => r.body))).to.deep.equal([200, 400]);
    }
    // Two concurrent uses of one TOTP code (two tokens): one success, on a shared database row.
    const tokens = [await mfaToken(a.app, 'jwt', email, PASSWORD), await mfaToken(b.app, 'jwt', email, PASSWORD)];
    const code = totpCode(secret, 1);
    const answers = await Promise.all([
      request(a.app).post('/auth/2fa/verify').send({ mfa_token: tokens[0], code }),
      request(b.app).post('/auth/2fa/verify').send({ mfa_token: tokens[1], code }),
    ]);
    expect(answers.map((r) => r.status).sort()).to.deep.equal([200, 400]);
    expect(answers.find((r) => r.status === 400)!.body.code).to.equal('MFA_CODE_INVALID');
  });
});
