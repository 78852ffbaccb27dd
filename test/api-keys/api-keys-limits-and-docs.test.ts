/**
 * API keys' per-key rate limit (memory and Redis: 429 with Retry-After, one key's budget not
 * another's), a soft-deleted owner, and the OpenAPI document: an `apiKey` scheme per key transport,
 * the api-keys routes with their answers, and a document that still validates.
 */
import { expect } from 'chai';
import { randomUUID } from 'crypto';
import { createClient, type RedisClientType } from 'redis';
import { Authorized, Get, JsonController } from 'routing-controllers';
import request from 'supertest';
import { DataSource, DeleteDateColumn, Entity } from 'typeorm';
import {
  AccessToken,
  ApiKey,
  ApiKeysController,
  ApiKeyStrategy,
  ApiKeyTransport,
  AuthenticationBackend,
  AuthSession,
  BaseUser,
  BearerTransport,
  JwtRevocation,
  JwtStrategy,
  RefreshToken,
  type OpenApiDocument,
} from '../../src';
import { buildApp, createUser, SECRET, type TestApp, type User } from '../support/app';
import { bearerToken } from '../support/http';

@JsonController('/api-keys')
class ApiKeys extends ApiKeysController<User> {}

@JsonController('/doc-items')
class DocItems {
  @Authorized(['items:write'])
  @Get('/')
  list() {
    return [];
  }
}

@Entity('soft_user')
class SoftUser extends BaseUser {
  @DeleteDateColumn({ nullable: true })
  deletedAt?: Date | null;
}

const jwtBackend = () =>
  new AuthenticationBackend({
    name: 'jwt',
    transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
    strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }),
  });

async function keyFor(t: TestApp, scopes: string[] = []): Promise<string> {
  const email = `${randomUUID()}@example.com`;
  await createUser(t.auth, { email, scopes });
  const session = await bearerToken(t.app, 'jwt', email);
  const res = await request(t.app).post('/api-keys').set('authorization', `Bearer ${session}`).send({ name: 'ci', scopes });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body.key;
}

describe('API keys: rate limits, soft-deleted owners, OpenAPI', function () {
  this.timeout(60_000);
  let redis: RedisClientType;

  before(async () => {
    redis = createClient({ url: process.env.TEST_REDIS_URL });
    redis.on('error', () => undefined);
    await redis.connect();
  });

  after(async () => {
    await redis.quit();
  });

  for (const where of ['memory', 'redis'] as const) {
    it(`limits each key to its budget (${where}): 429 TOO_MANY_REQUESTS with Retry-After, other keys unaffected`, async () => {
      const rateLimit = { points: 3, durationSeconds: 60, ...(where === 'redis' ? { redis, keyPrefix: `rcauth-key-rate:${randomUUID()}:` } : {}) };
      const t = await buildApp({
        extraControllers: [ApiKeys],
        backends: [jwtBackend(), new AuthenticationBackend({ name: 'key', transport: new ApiKeyTransport(), strategy: new ApiKeyStrategy({ rateLimit }) })],
      });
      try {
        const [busy, quiet] = [await keyFor(t), await keyFor(t)];
        for (let i = 0; i < 3; i++) await request(t.app).get('/items').set('authorization', `Bearer ${busy}`).expect(200);
        const refused = await request(t.app).get('/items').set('authorization', `Bearer ${busy}`);
        expect(refused.status).to.equal(429);
        expect(refused.body.code).to.equal('TOO_MANY_REQUESTS');
        expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
        await request(t.app).get('/items').set('authorization', `Bearer ${quiet}`).expect(200);
        // A refused (unknown) key spends no key's budget and is not rate limited: it is refused.
        const unknown = await request(t.app).get('/items').set('authorization', `Bearer ${new ApiKeyStrategy().format.generate()}`);
        expect(unknown.body.code).to.equal('API_KEY_INVALID');
      } finally {
        await t.close();
      }
    });
  }

  it('refuses the key of a soft-deleted owner at once (API_KEY_INVALID), and accepts it again once restored', async () => {
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [SoftUser, AccessToken, JwtRevocation, AuthSession, RefreshToken, ApiKey],
      synchronize: true,
    });
    const t = await buildApp({
      dataSource,
      userEntity: SoftUser as never,
      extraControllers: [ApiKeys],
      backends: [jwtBackend(), new AuthenticationBackend({ name: 'key', transport: new ApiKeyTransport(), strategy: new ApiKeyStrategy() })],
    });
    try {
      const key = await keyFor(t);
      const [user] = await dataSource.getRepository(SoftUser).find();
      await request(t.app).get('/items').set('authorization', `Bearer ${key}`).expect(200);
      await dataSource.getRepository(SoftUser).softDelete({ id: user.id });
      const res = await request(t.app).get('/items').set('authorization', `Bearer ${key}`);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('API_KEY_INVALID');
      await dataSource.getRepository(SoftUser).restore({ id: user.id });
      await request(t.app).get('/items').set('authorization', `Bearer ${key}`).expect(200);
    } finally {
      await t.close();
    }
  });

  describe('the OpenAPI document', () => {
    let t: TestApp;
    let document: OpenApiDocument;

    before(async () => {
      t = await buildApp({
        extraControllers: [ApiKeys],
        scopes: { 'items:write': 'Create and change items' },
        backends: [
          jwtBackend(),
          new AuthenticationBackend({ name: 'key', transport: new ApiKeyTransport({ header: 'X-API-Key' }), strategy: new ApiKeyStrategy() }),
          new AuthenticationBackend({ name: 'bearer-key', transport: new ApiKeyTransport(), strategy: new ApiKeyStrategy({ prefix: 'rcb' }) }),
        ],
      });
      document = t.auth.openApi({ controllers: [ApiKeys, DocItems], info: { title: 'API keys', version: '1' } });
    });

    after(async () => {
      await t.close();
    });

    it('describes each key transport as a security scheme: an apiKey in its header, or an HTTP bearer scheme', () => {
      const schemes = (document.components as any).securitySchemes;
      expect(schemes.key).to.include({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
      expect(schemes.key.description).to.include('items:write');
      expect(schemes['bearer-key']).to.include({ type: 'http', scheme: 'bearer', bearerFormat: 'API key' });
    });

    it("documents the api-keys routes, the key shown once, and a refused key's 401 codes on authenticated routes", () => {
      const paths = document.paths as any;
      const create = paths['/api-keys/'].post;
      expect(create.responses['201'].content['application/json'].schema.$ref).to.equal('#/components/schemas/CreatedApiKey');
      expect(JSON.stringify(create.responses['400'])).to.include('API_KEY_SCOPE_NOT_ALLOWED');
      expect(JSON.stringify(paths['/api-keys/'].get.responses['200'])).to.include('#/components/schemas/ApiKey');
      expect(paths['/api-keys/{id}'].delete.responses).to.have.property('404');
      const items = JSON.stringify(paths['/doc-items/'].get.responses['401']);
      expect(items).to.include('API_KEY_INVALID').and.include('API_KEY_EXPIRED');
      expect(paths['/doc-items/'].get.security.map((s: object) => Object.keys(s)[0])).to.include.members(['jwt', 'key', 'bearer-key']);
      // The api-keys routes are session-only: no key scheme is a way in.
      expect(create.security).to.deep.equal([{ jwt: [] }]);
      expect(create.description).to.include('an API key cannot call it');
    });

    it('still validates against the OpenAPI 3 schema', async () => {
      const { Validator } = require('@seriousme/openapi-schema-validator');
      const result = await new Validator().validate(document);
      expect(result.valid, JSON.stringify(result.errors)).to.equal(true);
    });
  });
});
