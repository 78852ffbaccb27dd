import { expect } from 'chai';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AccessToken, DatabaseStrategy, UserAlreadyExistsError } from '../../src';
import type { TokenGrant, TokenRejection } from '../../src/strategies/strategy';
import { isStoreOutage } from '../../src/stores/outage';
import { isUniqueViolation, isUuid } from '../../src/users/user-store';
import { buildApp, createUser, makeDataSource, User, type DataSourceKind, type TestApp } from '../support/app';

/** The grant a strategy's `read` answered, or null for any refusal (null or a TokenRejection). */
function grantOf(result: TokenGrant | TokenRejection | null): TokenGrant | null {
  return result && !('rejected' in result) ? result : null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exactly one of the settled calls succeeded; every other one failed with UserAlreadyExistsError. */
function expectExactlyOneWinner(results: PromiseSettledResult<unknown>[]): void {
  const winners = results.filter((r) => r.status === 'fulfilled');
  const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(winners, 'successes').to.have.length(1);
  for (const loser of losers) expect(loser.reason, String(loser.reason)).to.be.instanceOf(UserAlreadyExistsError);
}

describe('PostgreSQL: user store and database strategy', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ dataSource: makeDataSource('postgres') });
  });
  after(() => t.close());

  it('runs on PostgreSQL with uuid ids, lower-cased emails and a unique index on email', async () => {
    expect(t.dataSource.options.type).to.equal('postgres');
    const user = await createUser(t.auth, { email: 'Mixed.Case@Example.COM' });
    expect(isUuid(user.id)).to.equal(true);
    const [row] = await t.dataSource.query(`SELECT email FROM "user" WHERE id = $1`, [user.id]);
    expect(row.email).to.equal('mixed.case@example.com');
    const indexes: { indexdef: string }[] = await t.dataSource.query(`SELECT indexdef FROM pg_indexes WHERE tablename = 'user'`);
    expect(indexes.some((i) => /UNIQUE/i.test(i.indexdef) && /\(email\)/.test(i.indexdef))).to.equal(true);
    expect((await t.auth.userManager.getByEmail('MIXED.case@example.com'))?.id).to.equal(user.id);
  });

  it('lets exactly one of two concurrent creates of A@x.io and a@x.io succeed; the other gets UserAlreadyExistsError', async () => {
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([createUser(t.auth, { email: `Race${round}@X.io` }), createUser(t.auth, { email: `race${round}@x.io` })]);
      expectExactlyOneWinner(results);
    }
  });

  it('lets exactly one of many concurrent case variants succeed', async () => {
    const variants = ['crowd@x.io', 'CROWD@x.io', 'Crowd@X.io', 'crowd@X.IO', 'cRoWd@x.io', 'CROWD@X.IO'];
    expectExactlyOneWinner(await Promise.allSettled(variants.map((email) => createUser(t.auth, { email }))));
    const rows = await t.dataSource.query(`SELECT count(*)::int AS n FROM "user" WHERE email = 'crowd@x.io'`);
    expect(rows[0].n).to.equal(1);
  });

  it('reports the database unique violation itself as UserAlreadyExistsError, not a QueryFailedError', async () => {
    // The store has no pre-check: this is the database's index speaking, as in a lost race.
    await createUser(t.auth, { email: 'taken@x.io' });
    let error: unknown;
    try {
      await t.auth.userStore.create({ email: 'taken@x.io', hashedPassword: 'irrelevant' });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(UserAlreadyExistsError);
  });

  it('lets exactly one of two concurrent email changes to the same address succeed', async () => {
    const ann = await createUser(t.auth, { email: 'ann.pg@x.io' });
    const bob = await createUser(t.auth, { email: 'bob.pg@x.io' });
    const results = await Promise.allSettled([
      t.auth.userManager.update(ann, { email: 'Wanted@x.io' }),
      t.auth.userManager.update(bob, { email: 'wanted@X.io' }),
    ]);
    expectExactlyOneWinner(results);
  });

  it('never sends a malformed id to PostgreSQL: lookups answer null, tokens naming one are refused with 401', async () => {
    for (const id of ['', 'not-a-uuid', '1', "' OR 1=1 --", '00000000-0000-4000-8000-00000000000z', '00000000-0000-4000-8000-000000000000x']) {
      expect(await t.auth.userManager.get(id), id).to.equal(null);
    }
    // A token whose stored user id is not a uuid (a corrupt row, a custom store): refused, not a 503.
    const token = await t.auth.createToken({ id: 'not-a-uuid' } as User, { backend: 'db', scopes: [] });
    const res = await request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(401);
    expect(res.body.code).to.equal('UNAUTHORIZED');
  });

  it('destroyAllForUser removes every database token of the user, and only theirs', async () => {
    const ann = await createUser(t.auth, { email: 'everywhere@x.io' });
    const bob = await createUser(t.auth, { email: 'bystander@x.io' });
    const annTokens = await Promise.all([3600, 60, null].map((lifetimeSeconds) => t.auth.createToken(ann, { backend: 'db', lifetimeSeconds })));
    const bobToken = await t.auth.createToken(bob, { backend: 'db' });
    for (const token of annTokens) expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(200);

    await t.auth.revokeAllTokens(ann.id);
    for (const token of annTokens) expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(401);
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${bobToken}`)).status).to.equal(200);
    const left = await t.dataSource.getRepository(AccessToken).countBy({ userId: ann.id });
    expect(left).to.equal(0);
  });

  it('purgeExpired deletes the expired rows only', async () => {
    const user = await createUser(t.auth, { email: 'purge@x.io' });
    const strategy = t.auth.getBackend('db').strategy as DatabaseStrategy;
    await t.dataSource.getRepository(AccessToken).clear();
    const live = await t.auth.createToken(user, { backend: 'db', lifetimeSeconds: 3600 });
    const eternal = await t.auth.createToken(user, { backend: 'db', lifetimeSeconds: null });
    await t.auth.createToken(user, { backend: 'db', lifetimeSeconds: -10 });
    await t.auth.createToken(user, { backend: 'db', lifetimeSeconds: -20 });
    expect(await strategy.purgeExpired()).to.equal(2);
    expect(await t.dataSource.getRepository(AccessToken).count()).to.equal(2);
    expect(grantOf(await strategy.read(live))).to.not.equal(null);
    expect(grantOf(await strategy.read(eternal))).to.not.equal(null);
  });
});

describe('PostgreSQL: telling "the database is unreachable" (503) from "the query is wrong" (500)', () => {
  let dataSource: DataSource;
  before(async () => {
    dataSource = await new DataSource({ type: 'postgres', url: process.env.TEST_DATABASE_URL, entities: [User, AccessToken] }).initialize();
  });
  after(() => dataSource.destroy());

  async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
    try {
      await run();
    } catch (error) {
      return error;
    }
    throw new Error('expected an error');
  }

  it('a connection the server terminated (57P01) is a connection failure', async () => {
    // A pool of its own: the terminated connection must not be handed to the next test.
    const victim = await new DataSource({ type: 'postgres', url: process.env.TEST_DATABASE_URL }).initialize();
    try {
      // The statement ends its own connection: the error is the one a query in flight gets.
      const error = await errorOf(() => victim.query('SELECT pg_terminate_backend(pg_backend_pid())'));
      expect((error as { driverError?: { code?: string } }).driverError?.code, String(error)).to.equal('57P01');
      expect(isStoreOutage(error), String(error)).to.equal(true);
    } finally {
      await victim.destroy().catch(() => undefined);
    }
  });

  it('a refused connection is a connection failure', async () => {
    const nowhere = new DataSource({ type: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMS: 1000 });
    const error = await errorOf(() => nowhere.initialize());
    expect(isStoreOutage(error), String(error)).to.equal(true);
  });

  it('a bad query or a constraint violation is not', async () => {
    expect(isStoreOutage(await errorOf(() => dataSource.query('SELECT * FROM no_such_table')))).to.equal(false);
    expect(isStoreOutage(await errorOf(() => dataSource.query("SELECT 'x'::uuid")))).to.equal(false);
    const runner = dataSource.createQueryRunner(); // one connection: the temp table lives in it
    try {
      await runner.query('CREATE TEMP TABLE uniq (v int UNIQUE)');
      await runner.query('INSERT INTO uniq VALUES (1)');
      const duplicate = await errorOf(() => runner.query('INSERT INTO uniq VALUES (1)'));
      expect(isStoreOutage(duplicate)).to.equal(false);
      expect(isUniqueViolation(duplicate)).to.equal(true);
    } finally {
      await runner.release();
    }
  });
});

describe('PostgreSQL: token expiry does not depend on time zones', () => {
  let dataSource: DataSource;
  let strategy: DatabaseStrategy;
  const originalTz = process.env.TZ;

  before(async () => {
    // The server session in UTC+14, far from any zone the Node process uses below.
    dataSource = new DataSource({
      type: 'postgres',
      url: process.env.TEST_DATABASE_URL,
      entities: [User, AccessToken],
      synchronize: true,
      dropSchema: true,
      extra: { options: '-c timezone=Pacific/Kiritimati' },
    });
    await dataSource.initialize();
    strategy = new DatabaseStrategy({ dataSource, lifetimeSeconds: 3600 });
  });
  after(async () => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
    await dataSource.destroy();
  });

  it('accepts a token issued by an instance in another time zone until its expiry, not an offset away', async () => {
    // Two app instances in different zones share the database: one issues, the other checks.
    process.env.TZ = 'America/New_York';
    const hour = await strategy.write({ userId: 'u', scopes: [], lifetimeSeconds: 3600 });
    const second = await strategy.write({ userId: 'u', scopes: [], lifetimeSeconds: 1 });
    process.env.TZ = 'Asia/Tokyo';
    expect(grantOf(await strategy.read(hour))).to.deep.equal({ userId: 'u', scopes: [] });
    expect(grantOf(await strategy.read(second))).to.deep.equal({ userId: 'u', scopes: [] });
    await sleep(1100);
    expect(grantOf(await strategy.read(second))).to.equal(null);
    expect(grantOf(await strategy.read(hour))).to.not.equal(null);
    process.env.TZ = 'UTC';
    expect(await strategy.purgeExpired()).to.equal(1);
  });
});

for (const kind of ['sqlite', 'postgres'] as DataSourceKind[]) {
  describe(`Database strategy on ${kind}: a one-second token`, () => {
    let t: TestApp;
    before(async () => {
      t = await buildApp({ dataSource: makeDataSource(kind) });
    });
    after(() => t.close());

    it('works at once and is refused once its second is over', async () => {
      const user = await createUser(t.auth, { email: `second-${kind}@x.io` });
      const token = await t.auth.createToken(user, { backend: 'db', lifetimeSeconds: 1 });
      const before = await request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
      expect(before.status).to.equal(200);
      await sleep(1100);
      const after = await request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
      expect(after.status).to.equal(401);
      expect(after.body.code).to.equal('UNAUTHORIZED');
      expect(after.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
    });
  });
}
