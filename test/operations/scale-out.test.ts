/**
 * Two app instances — separate Node processes, as behind a load balancer — sharing one
 * PostgreSQL and one Redis. What one instance issues or revokes, the other sees at once.
 */
import { expect } from 'chai';
import { fork, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import { join } from 'path';
import { createClient, type RedisClientType } from 'redis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AccessToken, Auth, AuthenticationBackend, AuthSession, BearerTransport, DatabaseStrategy, JwtStrategy, RedisStrategy, RefreshToken } from '../../src';
import { PASSWORD, SECRET, User } from '../support/app';
import { testPostgres } from '../support/services';

const START_TIMEOUT_MS = 15_000;
const REDIS_KEY_PREFIX = `rcauth-scale-out:${randomBytes(4).toString('hex')}:`;

interface Instance {
  url: string;
  child: ChildProcess;
  output: () => string;
}

/** Forks `dist/test/support/instance.js` and resolves once it listens. */
function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = fork(join(__dirname, '..', 'support', 'instance.js'), [], { env: { ...process.env, ...env }, silent: true });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`instance did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    child.once('message', (message: { url: string }) => {
      clearTimeout(timer);
      resolve({ url: message.url, child, output: () => output });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited (${code}) before listening:\n${output}`));
    });
  });
}

async function stopInstance(instance: Instance | undefined): Promise<void> {
  if (!instance || instance.child.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

describe('scale-out: two app processes sharing PostgreSQL and Redis', () => {
  let a: Instance;
  let b: Instance;
  let dataSource: DataSource;
  let redis: RedisClientType;
  let auth: Auth<User>;
  let email: string;

  before(async () => {
    // A database of its own, its schema made once here: instances never synchronize or drop it.
    const databaseUrl = await testPostgres().createDatabase(`scale_out_${randomBytes(4).toString('hex')}`);
    dataSource = new DataSource({ type: 'postgres', url: databaseUrl, entities: [User, AccessToken, AuthSession, RefreshToken], synchronize: true });
    await dataSource.initialize();

    redis = createClient({ url: process.env.TEST_REDIS_URL });
    redis.on('error', () => undefined);
    await redis.connect();

    // The test's own view of the shared stores, to seed a user and to revoke "from elsewhere".
    auth = new Auth<User>({
      dataSource,
      userEntity: User,
      secret: SECRET,
      backends: [
        new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/' }), strategy: new DatabaseStrategy() }),
        new AuthenticationBackend({
          name: 'redis',
          transport: new BearerTransport({ tokenUrl: '/' }),
          strategy: new RedisStrategy({ redis, keyPrefix: REDIS_KEY_PREFIX }),
        }),
        new AuthenticationBackend({ name: 'jwt', transport: new BearerTransport({ tokenUrl: '/' }), strategy: new JwtStrategy({ secret: SECRET }) }),
      ],
    });
    email = 'scale@out.io';
    await auth.userManager.create({ email, password: PASSWORD });

    // Different time zones on purpose: instances in several regions must agree on expiry.
    const env = { TEST_DATABASE_URL: databaseUrl, TEST_REDIS_URL: process.env.TEST_REDIS_URL!, SECRET, REDIS_KEY_PREFIX };
    [a, b] = await Promise.all([startInstance({ ...env, TZ: 'America/New_York' }), startInstance({ ...env, TZ: 'Asia/Tokyo' })]);
  });

  after(async () => {
    await Promise.all([stopInstance(a), stopInstance(b)]);
    redis?.destroy();
    if (dataSource?.isInitialized) await dataSource.destroy();
  });

  async function login(instance: Instance, backend: string): Promise<string> {
    const res = await request(instance.url).post(`/auth/${backend}/login`).type('form').send({ username: email, password: PASSWORD });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.access_token;
  }
  const items = (instance: Instance, token: string) => request(instance.url).get('/items').set('Authorization', `Bearer ${token}`);
  const logout = (instance: Instance, backend: string, token: string) =>
    request(instance.url).post(`/auth/${backend}/logout`).set('Authorization', `Bearer ${token}`);

  it('runs two separate processes', () => {
    expect(a.child.pid).to.be.a('number');
    expect(a.child.pid).to.not.equal(b.child.pid);
    expect(a.child.pid).to.not.equal(process.pid);
    expect(a.url).to.not.equal(b.url);
  });

  for (const backend of ['db', 'redis']) {
    const store = backend === 'db' ? 'PostgreSQL' : 'Redis';

    it(`${backend} (${store}): a token from A works on B; logged out on B, it is refused on A at once`, async () => {
      const token = await login(a, backend);
      const onB = await items(b, token);
      expect(onB.status, JSON.stringify(onB.body)).to.equal(200);
      expect(onB.body).to.deep.equal({ owner: email });

      expect((await logout(b, backend, token)).status).to.equal(204);
      const onA = await items(a, token);
      expect(onA.status).to.equal(401);
      expect(onA.body.code).to.equal('UNAUTHORIZED');
      expect((await items(b, token)).status).to.equal(401);
    });

    it(`${backend} (${store}): "log out everywhere" from a third process ends the sessions on both instances`, async () => {
      const fromA = await login(a, backend);
      const fromB = await login(b, backend);
      expect((await items(b, fromA)).status).to.equal(200);
      expect((await items(a, fromB)).status).to.equal(200);
      const user = (await auth.userManager.getByEmail(email))!;
      await auth.getBackend(backend).strategy.destroyAllForUser!(user.id);
      for (const instance of [a, b]) {
        for (const token of [fromA, fromB]) expect((await items(instance, token)).status).to.equal(401);
      }
    });
  }

  for (const backend of ['db-refresh', 'redis-refresh']) {
    const store = backend === 'db-refresh' ? 'PostgreSQL' : 'Redis';
    const refresh = (instance: Instance, token: string) =>
      request(instance.url).post(`/auth/${backend}/refresh`).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
    async function loginPair(instance: Instance) {
      const res = await request(instance.url).post(`/auth/${backend}/login`).type('form').send({ username: email, password: PASSWORD });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return { access: res.body.access_token as string, refresh: res.body.refresh_token as string };
    }

    it(`${backend} (${store}): concurrent refreshes of one token on both instances give exactly one success`, async () => {
      for (let round = 0; round < 3; round++) {
        const login = await loginPair(a);
        const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => refresh(i % 2 === 0 ? a : b, login.refresh)));
        const statuses = answers.map((r) => r.status);
        expect(
          statuses.filter((s) => s === 200),
          JSON.stringify(statuses),
        ).to.have.length(1);
        expect(
          statuses.filter((s) => s === 400),
          JSON.stringify(statuses),
        ).to.have.length(7);
        // The losers were reuse: the session is over on both instances, the winner's tokens too.
        const winner = answers.find((r) => r.status === 200)!;
        for (const instance of [a, b]) {
          expect((await items(instance, winner.body.access_token)).status).to.equal(401);
          expect((await refresh(instance, winner.body.refresh_token)).status).to.equal(400);
        }
      }
    });

    it(`${backend} (${store}): a token rotated on A and replayed on B ends the session on both`, async () => {
      const login = await loginPair(a);
      const rotated = await refresh(a, login.refresh);
      expect(rotated.status).to.equal(200);
      expect((await items(b, rotated.body.access_token)).status).to.equal(200);
      expect((await refresh(b, login.refresh)).status).to.equal(400);
      for (const instance of [a, b]) {
        expect((await items(instance, rotated.body.access_token)).status).to.equal(401);
        expect((await refresh(instance, rotated.body.refresh_token)).status).to.equal(400);
      }
    });
  }

  it("jwt: both instances accept each other's tokens (a shared secret, nothing stored)", async () => {
    const fromA = await login(a, 'jwt');
    const fromB = await login(b, 'jwt');
    expect((await items(b, fromA)).body).to.deep.equal({ owner: email });
    expect((await items(a, fromB)).body).to.deep.equal({ owner: email });
  });

  it('a user deactivated through the shared database is refused on both instances', async () => {
    const tokens = await Promise.all([login(a, 'db'), login(b, 'redis'), login(a, 'jwt')]);
    const user = (await auth.userManager.getByEmail(email))!;
    await dataSource.getRepository(User).update({ id: user.id }, { isActive: false });
    try {
      for (const instance of [a, b]) for (const token of tokens) expect((await items(instance, token)).status).to.equal(401);
    } finally {
      await dataSource.getRepository(User).update({ id: user.id }, { isActive: true });
    }
  });
});
