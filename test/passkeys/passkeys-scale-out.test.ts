/**
 * Two app instances on one PostgreSQL and one Redis (RedisWebAuthnChallengeStore): a challenge
 * handed out by one is redeemed on the other, once; the second redemption, anywhere, is refused.
 */
import { expect } from 'chai';
import { randomUUID } from 'crypto';
import { createClient, type RedisClientType } from 'redis';
import { JsonController } from 'routing-controllers';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AccessToken,
  AuthenticationBackend,
  AuthSession,
  BearerTransport,
  DatabaseStrategy,
  JwtRevocation,
  Passkey,
  PasskeyController,
  RedisWebAuthnChallengeStore,
  RefreshToken,
  WebAuthnSecondFactor,
  type Auth,
} from '../../src';
import { buildApp, createUser, DRIVER, type TestApp, User } from '../support/app';
import { bearerToken } from '../support/http';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { FakeExchange } from '../support/fake-exchange';

const ORIGIN = 'https://example.com';

describe(`passkeys on two instances: PostgreSQL + Redis (${DRIVER})`, function () {
  this.timeout(30_000);
  let redis: RedisClientType;
  const keyPrefix = `rcauth-passkeys-scale:${randomUUID()}:`;
  let one: TestApp;
  let two: TestApp;
  let token: string;
  let user: User;

  async function instance(dataSource?: DataSource): Promise<TestApp> {
    return buildApp({
      dataSourceKind: 'postgres',
      ...(dataSource ? { dataSource } : {}),
      backends: [
        new AuthenticationBackend({
          name: 'db',
          transport: new BearerTransport({ tokenUrl: '/auth/db/login' }),
          strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
        }),
      ],
      passkeys: { rpID: 'example.com', rpName: 'Example', origins: [ORIGIN], challengeStore: new RedisWebAuthnChallengeStore({ redis, keyPrefix }) },
      extraControllers: (auth: Auth<User>) => {
        @JsonController('/passkeys')
        class Passkeys extends PasskeyController<User> {
          constructor() {
            super('db', auth);
          }
        }
        return [Passkeys];
      },
    });
  }

  before(async () => {
    redis = createClient({ url: process.env.TEST_REDIS_URL });
    redis.on('error', () => undefined);
    await redis.connect();
    one = await instance(); // makes the schema afresh
    // The second instance shares the database (no schema change of its own) and the Redis.
    two = await instance(
      new DataSource({
        type: 'postgres',
        url: process.env.TEST_DATABASE_URL,
        entities: [User, AccessToken, JwtRevocation, AuthSession, RefreshToken, Passkey],
      }),
    );
    await one.auth.ready({ controllers: [] });
    await two.auth.ready({ controllers: [] });
    user = await createUser(one.auth, { email: `scale-${DRIVER}@example.com` });
    token = await bearerToken(one.app, 'db', user.email);
  });

  after(async () => {
    await two?.close();
    await one?.close();
    redis?.destroy();
  });

  const keysLeft = async () => (await redis.keys(`${keyPrefix}*`)).length;

  it('registration options from one, registered on the other; sign-in options from the other, redeemed on the first, once', async () => {
    const authenticator = new SoftAuthenticator(ORIGIN);
    const options = await request(one.app).post('/passkeys/register/options').set('authorization', `Bearer ${token}`).send({});
    expect(options.status).to.equal(200);
    expect(await keysLeft(), 'the challenge waits in Redis, under its digest').to.equal(1);
    expect((await redis.keys(`${keyPrefix}*`))[0]).not.to.contain(options.body.challenge);
    const { response } = authenticator.create(options.body);
    const registered = await request(two.app).post('/passkeys/register').set('authorization', `Bearer ${token}`).send({ response });
    expect(registered.status, JSON.stringify(registered.body)).to.equal(201);
    expect((await request(one.app).post('/passkeys/register').set('authorization', `Bearer ${token}`).send({ response })).body.code).to.equal(
      'PASSKEY_INVALID',
    );
    expect(await keysLeft()).to.equal(0);

    const login = await request(two.app).post('/passkeys/login/options');
    const assertion = authenticator.get(login.body);
    const first = await request(one.app).post('/passkeys/login').send({ response: assertion });
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect((await request(two.app).get('/items').set('authorization', `Bearer ${first.body.access_token}`)).body).to.deep.equal({ owner: user.email });
    for (const app of [one.app, two.app]) {
      const again = await request(app).post('/passkeys/login').send({ response: assertion });
      expect(again.status).to.equal(400);
      expect(again.body.code).to.equal('PASSKEY_INVALID');
    }
  });

  it('one assertion sent to both instances at once signs in once', async () => {
    const authenticator = new SoftAuthenticator(ORIGIN);
    const options = await request(two.app).post('/passkeys/register/options').set('authorization', `Bearer ${token}`).send({});
    expect(
      (
        await request(one.app)
          .post('/passkeys/register')
          .set('authorization', `Bearer ${token}`)
          .send({ response: authenticator.create(options.body).response })
      ).status,
    ).to.equal(201);
    for (let round = 0; round < 5; round++) {
      const assertion = authenticator.get((await request(one.app).post('/passkeys/login/options')).body);
      const answers = await Promise.all([one.app, two.app, one.app, two.app].map((app) => request(app).post('/passkeys/login').send({ response: assertion })));
      expect(answers.map((r) => r.status).sort(), `round ${round}`).to.deep.equal([200, 400, 400, 400]);
    }
  });

  it('the second factor: begin on one instance, verify on the other, once', async () => {
    const authenticator = new SoftAuthenticator(ORIGIN);
    const options = await request(one.app).post('/passkeys/register/options').set('authorization', `Bearer ${token}`).send({});
    await request(one.app)
      .post('/passkeys/register')
      .set('authorization', `Bearer ${token}`)
      .send({ response: authenticator.create(options.body).response });
    const onOne = new WebAuthnSecondFactor<User>(one.auth.context.passkeys!);
    const onTwo = new WebAuthnSecondFactor<User>(two.auth.context.passkeys!);
    const proof = authenticator.get(await onOne.begin(user, new FakeExchange()));
    expect(await onTwo.verify(user, proof, new FakeExchange())).to.deep.equal({ amr: ['hwk'] });
    try {
      await onOne.verify(user, proof, new FakeExchange());
      throw new Error('redeemed twice');
    } catch (error) {
      expect((error as { code?: string }).code).to.equal('PASSKEY_INVALID');
    }
  });
});
