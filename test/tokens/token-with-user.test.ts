/**
 * The database strategy's one-statement read of a token and its user: it answers exactly what
 * `read` + the user store's `findById` answer, it is one unnamed statement per request on
 * PostgreSQL, and user stores that load users their own way keep doing so.
 */
import { expect } from 'chai';
import request from 'supertest';
import {
  AccessToken,
  AuthenticationBackend,
  BearerTransport,
  DatabaseStrategy,
  TypeOrmUserStore,
  type TokenAndUserReader,
  type UserStore,
  type UserTable,
} from '../../src';
import { buildApp, createUser, type DataSourceKind, makeDataSource, type TestApp, User } from '../support/app';

const pg = require('pg') as { Client: { prototype: { query: (this: unknown, ...args: unknown[]) => unknown } } };

function dbBackend(): AuthenticationBackend {
  return new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/auth/db/login' }), strategy: new DatabaseStrategy() });
}

/** Every statement pg sends while `run` runs: its text, and whether it was given a name (a prepared statement). */
async function statementsDuring(run: () => Promise<unknown>): Promise<{ text: string; named: boolean }[]> {
  const seen: { text: string; named: boolean }[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text: string; name?: string };
    seen.push(typeof first === 'string' ? { text: first, named: false } : { text: first.text, named: Boolean(first.name) });
    return original.apply(this, args);
  };
  try {
    await run();
  } finally {
    pg.Client.prototype.query = original;
  }
  return seen;
}

for (const kind of ['sqlite', 'postgres'] as DataSourceKind[]) {
  describe(`token and user in one statement (${kind})`, () => {
    let t: TestApp;
    let strategy: DatabaseStrategy;
    let reader: TokenAndUserReader<User>;
    before(async () => {
      t = await buildApp({ dataSourceKind: kind, backends: [dbBackend()] });
      strategy = t.auth.backends[0].strategy as DatabaseStrategy;
      const table = t.auth.userStore.table!() as UserTable<User>;
      reader = strategy.readWithUser(table)!;
    });
    after(() => t.close());

    /** What the two separate reads answer for a token. */
    async function twoReads(token: string) {
      const grant = await strategy.read(token);
      if (!grant || 'rejected' in grant) return grant ?? { rejected: 'unknown' };
      return { grant, user: await t.auth.userStore.findById(grant.userId) };
    }

    it('answers what read + findById answer: live, session, deleted user, inactive, expired, unknown, malformed, a userId that is no uuid', async () => {
      const alice = await createUser(t.auth, { email: `alice-${kind}@example.com`, scopes: ['items:read'], displayName: 'Alice' });
      const off = await createUser(t.auth, { email: `off-${kind}@example.com`, isActive: false });
      const gone = await createUser(t.auth, { email: `gone-${kind}@example.com` });
      const tokens = {
        live: await t.auth.createToken(alice),
        session: await strategy.write({ userId: alice.id, scopes: ['items:read'], lifetimeSeconds: 60, sessionId: '6f1c3c1e-8a0e-4c55-9a8e-0d8a4b3f2e11' }),
        inactive: await t.auth.createToken(off),
        deletedUser: await t.auth.createToken(gone),
        expired: await strategy.write({ userId: alice.id, scopes: [], lifetimeSeconds: -1 }),
        noUuid: await strategy.write({ userId: 'not-a-uuid', scopes: [], lifetimeSeconds: 60 }),
        unknown: 'A'.repeat(43),
        malformed: 'short',
      };
      // The row alone (deleting through the manager would revoke its tokens first).
      await t.dataSource.getRepository(User).delete({ id: gone.id });

      for (const [name, token] of Object.entries(tokens)) {
        expect(await reader(token), name).to.deep.equal(await twoReads(token));
      }
      const live = await reader(tokens.live);
      expect(live).to.have.nested.property('user.displayName', 'Alice');
      expect((live as { user: User }).user).to.be.instanceOf(User);
      expect(await reader(tokens.deletedUser)).to.have.property('user', null);
      expect(await reader(tokens.noUuid)).to.have.property('user', null);
      expect(await reader(tokens.expired)).to.deep.equal({ rejected: 'expired' });
    });

    it('serves authenticated requests through it (a deactivated user is refused at once)', async () => {
      const bob = await createUser(t.auth, { email: `bob-${kind}@example.com` });
      const token = await t.auth.createToken(bob);
      const items = () => request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
      expect((await items()).body).to.deep.equal({ owner: bob.email });
      await t.auth.userManager.update(bob, { isActive: false }, { safe: false });
      expect((await items()).status).to.equal(401);
    });

    if (kind === 'postgres') {
      it('is one unnamed statement per request on PostgreSQL (PgBouncer in transaction mode keeps working)', async () => {
        const carol = await createUser(t.auth, { email: 'carol-pg@example.com' });
        const token = await t.auth.createToken(carol);
        let status = 0;
        const statements = await statementsDuring(async () => {
          status = (await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status;
        });
        expect(status).to.equal(200);
        expect(statements).to.have.length(1);
        expect(statements[0].text).to.match(/LEFT JOIN/);
        expect(statements[0].named).to.equal(false);
      });
    }
  });
}

describe('token and user: user stores that load users their own way', () => {
  it('a TypeOrmUserStore subclass with its own findById is asked, not bypassed', async () => {
    const dataSource = makeDataSource('sqlite');
    const asked: string[] = [];
    class CountingStore extends TypeOrmUserStore<User> {
      findById(id: string) {
        asked.push(id);
        return super.findById(id);
      }
    }
    const store = new CountingStore(dataSource, User);
    expect(store.table()).to.equal(undefined);
    const t = await buildApp({ dataSource, userStore: store, backends: [dbBackend()] });
    try {
      const dave = await createUser(t.auth, { email: 'dave@example.com' });
      const token = await t.auth.createToken(dave);
      const answer = await request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
      expect(answer.body).to.deep.equal({ owner: 'dave@example.com' });
      expect(asked).to.include(dave.id);
    } finally {
      await t.close();
    }
  });

  it('a custom UserStore without a table works on the two-read path', async () => {
    const dataSource = makeDataSource('sqlite');
    const users = new Map<string, User>();
    const store: UserStore<User> = {
      findById: async (id) => users.get(id) ?? null,
      findByEmail: async (email) => [...users.values()].find((u) => u.email === email) ?? null,
      create: async (fields) => {
        const user = Object.assign(
          new User(),
          { id: '3f0c2b1a-5d4e-4f60-8a7b-9c8d7e6f5a4b', isActive: true, isSuperuser: false, isVerified: false, scopes: [] },
          fields,
        );
        users.set(user.id, user);
        return user;
      },
      update: async (user, fields) => Object.assign(user, fields),
      delete: async (user) => void users.delete(user.id),
      replacePasswordHash: async () => false,
    };
    const t = await buildApp({ dataSource, userStore: store, backends: [dbBackend()] });
    try {
      const erin = await createUser(t.auth, { email: 'erin@example.com' });
      const token = await t.auth.createToken(erin);
      expect(await t.dataSource.getRepository(AccessToken).count()).to.equal(1);
      const answer = await request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
      expect(answer.body).to.deep.equal({ owner: 'erin@example.com' });
      users.delete(erin.id);
      expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(401);
    } finally {
      await t.close();
    }
  });
});
