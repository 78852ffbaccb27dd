import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Authorized, Get, JsonController } from 'routing-controllers';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AccessToken,
  AuthenticationBackend,
  AuthSession,
  BearerTransport,
  DatabaseRevocationStore,
  DatabaseStrategy,
  JwtRevocation,
  JwtStrategy,
  RefreshToken,
} from '../../src';
import { buildApp, SECRET, User, type TestApp } from '../support/app';
import { login } from '../support/http';
import { refreshWith } from '../support/sessions';
import { cliDataSourceOptions } from '../support/cli/entities';
import { ADMIN_PASSWORD, DATA_SOURCE, expectRefused, FIXTURES, runCli, type Run } from '../support/cli/run';

const NEW_PASSWORD = 'a brand new passphrase 42';
const USER_PASSWORD = 'correct horse battery staple';

@JsonController('/superuser-only')
class SuperuserOnlyController {
  @Authorized(['superuser'])
  @Get('/')
  ok() {
    return { ok: true };
  }
}

/** Bearer backends whose tokens the tool can end from the DataSource: database tokens with refresh, JWTs with a database deny-list. */
function backends(): AuthenticationBackend[] {
  return [
    new AuthenticationBackend({
      name: 'db',
      transport: new BearerTransport({ tokenUrl: '/auth/db/login' }),
      strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
      refresh: { lifetimeSeconds: 3600 },
    }),
    new AuthenticationBackend({
      name: 'jwt',
      transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
      strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600, revocation: new DatabaseRevocationStore() }),
    }),
  ];
}

/** A fresh database of this kind: a SQLite file, or a PostgreSQL database of its own on the suite's server. */
async function freshDatabase(kind: 'sqlite' | 'postgres', dir: string, name: string): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { env: { CLI_DB_TYPE: 'sqlite', CLI_DB: join(dir, `${name}.sqlite`) }, drop: async () => {} };
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set: the test services did not start.');
  const server = await new DataSource({ type: 'postgres', url: serverUrl }).initialize();
  await server.query(`DROP DATABASE IF EXISTS "${name}"`);
  await server.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    env: { CLI_DB_TYPE: 'postgres', CLI_DB: url.toString() },
    async drop() {
      await server.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await server.destroy();
    },
  };
}

/** What TypeORM would still change for the fixture's entities (empty once the schema is complete). */
async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  return (await dataSource.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query);
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`command-line tool on ${kind} (npx routing-controllers-auth)`, function () {
    this.timeout(60_000);
    let dir: string;
    let database: Awaited<ReturnType<typeof freshDatabase>>;
    let env: Record<string, string>;
    let migrationRun: Run;
    let dataSource: DataSource;
    let app: TestApp;
    const cli = (args: string[], input?: string, extraEnv: Record<string, string> = {}) => runCli(args, { ...env, ...extraEnv }, input);

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rca-cli-'));
      database = await freshDatabase(kind, dir, 'rcauth_cli');
      env = database.env;
      // The schema comes from the tool itself: its migration, run as an app runs its migrations.
      migrationRun = await cli(['migrations', '-d', DATA_SOURCE, '--write', join(dir, 'migrations'), '--js']);
      const written = readdirSync(join(dir, 'migrations')).map((file) => join(dir, 'migrations', file));
      dataSource = new DataSource({ ...cliDataSourceOptions(env), migrations: written });
      await dataSource.initialize();
      await dataSource.runMigrations();
      app = await buildApp({ dataSource, backends: backends(), requireVerification: true, extraControllers: [SuperuserOnlyController] });
    });

    after(async () => {
      await app?.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("migrations --write: one migration, in the database's dialect, that creates every library table; then nothing is pending", async () => {
      expect(migrationRun.code, migrationRun.stderr).to.equal(0);
      expect(migrationRun.stdout).to.match(/^Wrote .+\/\d{13}-RoutingControllersAuth\.js \(\d+ statements\)\.\n$/);
      const [file] = readdirSync(join(dir, 'migrations'));
      const text = readFileSync(join(dir, 'migrations', file), 'utf8');
      for (const table of ['user', 'access_token', 'auth_session', 'refresh_token', 'jwt_revocation']) expect(text).to.contain(`CREATE TABLE "${table}"`);
      // The dialect of the database: uuid and a bigint column are spelled the PostgreSQL way there.
      if (kind === 'postgres') expect(text).to.contain('uuid_generate_v4()');
      else expect(text).not.to.contain('uuid_generate_v4()');
      expect(await pendingSchemaChanges(dataSource)).to.deep.equal([]);

      const again = await cli(['migrations', '-d', DATA_SOURCE]);
      expect(again).to.deep.equal({
        code: 0,
        stdout: "No migration needed: the database already matches the library's tables (user, access_token, auth_session, refresh_token, jwt_revocation).\n",
        stderr: '',
      });
    });

    it('create-superuser: password from stdin, policy passed; the superuser logs in through the login route and holds the superuser scope', async () => {
      const run = await cli(['create-superuser', 'Root@Example.com', '-d', DATA_SOURCE], `${ADMIN_PASSWORD}\n`);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^Created superuser root@example\.com \(id [0-9a-f-]{36}\)\.\n$/);
      expect(run.stdout + run.stderr).not.to.contain(ADMIN_PASSWORD);

      const row = await dataSource.getRepository(User).findOneByOrFail({ email: 'root@example.com' });
      expect({ isSuperuser: row.isSuperuser, isVerified: row.isVerified, isActive: row.isActive }).to.deep.equal({
        isSuperuser: true,
        isVerified: true,
        isActive: true,
      });
      expect(row.hashedPassword).to.match(/^\$argon2id\$/);
      const res = await login(app.app, 'db', 'root@example.com', ADMIN_PASSWORD);
      expect(res.status).to.equal(200);
      const admin = await request(app.app).get('/superuser-only').set('Authorization', `Bearer ${res.body.access_token}`);
      expect(admin.status).to.equal(200);
    });

    it('create-superuser: a taken email (in any case) is refused before any password is read; nothing changes', async () => {
      await app.auth.userManager.create({ email: 'taken@example.com', password: USER_PASSWORD });
      const run = await cli(['create-superuser', '--email', 'TAKEN@example.com', '-d', DATA_SOURCE], `${ADMIN_PASSWORD}\n`);
      expectRefused(run, 'A user with the email TAKEN@example.com already exists.');
      expect((await dataSource.getRepository(User).findOneByOrFail({ email: 'taken@example.com' })).isSuperuser).to.equal(false);
    });

    it("create-superuser: the library's password policy refuses a short or common password, and no user is created", async () => {
      const short = await cli(['create-superuser', 'weak@example.com', '-d', DATA_SOURCE], 'short\n');
      expectRefused(short, 'The password was refused: Password must be at least 8 characters long. Nothing was changed.');
      const common = await cli(['create-superuser', 'weak@example.com', '-d', DATA_SOURCE], 'password123\n');
      expect(common.code).to.equal(2);
      expect(common.stderr).to.match(/^error: The password was refused: .*common.*\n$/i);
      expect(common.stderr).not.to.contain('password123');
      expect(await dataSource.getRepository(User).countBy({ email: 'weak@example.com' })).to.equal(0);
    });

    it('set-password: the new password logs in, the old one no longer does, and every session and token of the user ends', async () => {
      await app.auth.userManager.create({ email: 'change@example.com', password: USER_PASSWORD }, { safe: false });
      await dataSource.getRepository(User).update({ email: 'change@example.com' }, { isVerified: true });
      const db = await login(app.app, 'db', 'change@example.com', USER_PASSWORD);
      const jwt = await login(app.app, 'jwt', 'change@example.com', USER_PASSWORD);
      expect([db.status, jwt.status]).to.deep.equal([200, 200]);

      const run = await cli(['set-password', 'Change@Example.com', '-d', DATA_SOURCE], `${NEW_PASSWORD}\n`);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.equal(
        'Changed the password of change@example.com; ended 1 session with their refresh tokens, deleted 1 access token, revoked the JWTs issued so far.\n',
      );
      expect(run.stderr).to.contain('auth.revokeAllTokens(userId)');
      expect(run.stdout + run.stderr).not.to.contain(NEW_PASSWORD);

      expect((await login(app.app, 'db', 'change@example.com', USER_PASSWORD)).status).to.equal(400);
      expect((await login(app.app, 'db', 'change@example.com', NEW_PASSWORD)).status).to.equal(200);
      for (const token of [db.body.access_token, jwt.body.access_token]) {
        expect((await request(app.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(401);
      }
      await expectRefreshRefused(db.body.refresh_token);
    });

    it('set-password: a password the policy refuses changes nothing', async () => {
      await app.auth.userManager.create({ email: 'keep@example.com', password: USER_PASSWORD });
      const before = (await dataSource.getRepository(User).findOneByOrFail({ email: 'keep@example.com' })).hashedPassword;
      expectRefused(
        await cli(['set-password', 'keep@example.com', '-d', DATA_SOURCE], 'keep@example.com\n'),
        'The password was refused: Password must not be the email address. Nothing was changed.',
      );
      expect((await dataSource.getRepository(User).findOneByOrFail({ email: 'keep@example.com' })).hashedPassword).to.equal(before);
    });

    it("deactivate: login is refused from then on and the user's tokens stop working; a second run changes nothing", async () => {
      await app.auth.userManager.create({ email: 'leaving@example.com', password: USER_PASSWORD, isVerified: true }, { safe: false });
      const db = await login(app.app, 'db', 'leaving@example.com', USER_PASSWORD);
      expect(db.status).to.equal(200);

      const run = await cli(['deactivate', 'leaving@example.com', '-d', DATA_SOURCE]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.equal(
        'Deactivated leaving@example.com; ended 1 session with their refresh tokens, deleted 1 access token, revoked the JWTs issued so far.\n',
      );
      const refused = await login(app.app, 'db', 'leaving@example.com', USER_PASSWORD);
      expect([refused.status, refused.body.code]).to.deep.equal([400, 'LOGIN_BAD_CREDENTIALS']);
      expect((await request(app.app).get('/items').set('Authorization', `Bearer ${db.body.access_token}`)).status).to.equal(401);
      await expectRefreshRefused(db.body.refresh_token);

      const again = await cli(['deactivate', 'leaving@example.com', '-d', DATA_SOURCE]);
      expect([again.code, again.stdout]).to.deep.equal([0, 'leaving@example.com was already deactivated; nothing changed.\n']);
    });

    it('revoke-sessions: the database access token, the refresh token and the JWT of the user stop working; another user keeps theirs', async () => {
      for (const email of ['everywhere@example.com', 'bystander@example.com']) {
        await app.auth.userManager.create({ email, password: USER_PASSWORD, isVerified: true }, { safe: false });
      }
      const db = await login(app.app, 'db', 'everywhere@example.com', USER_PASSWORD);
      const second = await login(app.app, 'db', 'everywhere@example.com', USER_PASSWORD);
      const jwt = await login(app.app, 'jwt', 'everywhere@example.com', USER_PASSWORD);
      const bystander = await login(app.app, 'db', 'bystander@example.com', USER_PASSWORD);
      const status = async (token: string) => (await request(app.app).get('/items').set('Authorization', `Bearer ${token}`)).status;
      expect(await Promise.all([db, second, jwt].map((r) => status(r.body.access_token)))).to.deep.equal([200, 200, 200]);

      const run = await cli(['revoke-sessions', 'everywhere@example.com', '-d', DATA_SOURCE]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.equal(
        'Revoked for everywhere@example.com: ended 2 sessions with their refresh tokens, deleted 2 access tokens, revoked the JWTs issued so far.\n',
      );
      for (const r of [db, second, jwt]) expect(await status(r.body.access_token)).to.equal(401);
      await expectRefreshRefused(db.body.refresh_token);
      expect(await dataSource.getRepository(AuthSession).countBy({ userId: await userId('everywhere@example.com') })).to.equal(0);
      expect(await status(bystander.body.access_token)).to.equal(200);
      expect((await refreshWith(app.app, 'db', bystander.body.refresh_token)).status).to.equal(200);
      expect(run.stdout + run.stderr).not.to.contain(db.body.access_token);
    });

    async function expectRefreshRefused(refreshToken: string): Promise<void> {
      const res = await refreshWith(app.app, 'db', refreshToken);
      expect([res.status, res.body.code]).to.deep.equal([400, 'REFRESH_TOKEN_INVALID']);
    }

    async function userId(email: string): Promise<string> {
      return (await dataSource.getRepository(User).findOneByOrFail({ email })).id;
    }

    it('an unknown email: one line, exit code 2, for every command that takes one', async () => {
      for (const command of ['set-password', 'deactivate', 'revoke-sessions']) {
        expectRefused(await cli([command, 'nobody@example.com', '-d', DATA_SOURCE], `${NEW_PASSWORD}\n`), 'No user has the email nobody@example.com.');
      }
    });

    it('purge-expired: deletes only expired access tokens, sessions, refresh tokens and JWT revocations, and counts each kind', async () => {
      const past = new Date(Date.now() - 60_000);
      const future = new Date(Date.now() + 3_600_000);
      const owner = await userId('root@example.com');
      const tokens = dataSource.getRepository(AccessToken);
      await tokens.insert([
        { tokenHash: 'a'.repeat(64), userId: owner, scopes: [], expiresAt: past, sessionId: null },
        { tokenHash: 'b'.repeat(64), userId: owner, scopes: [], expiresAt: past, sessionId: null },
        { tokenHash: 'c'.repeat(64), userId: owner, scopes: [], expiresAt: future, sessionId: null },
      ]);
      const session = {
        userId: owner,
        backend: 'db',
        scopes: [],
        createdAt: past,
        lastUsedAt: past,
        userAgent: null,
        ip: null,
        previousTokenHash: null,
        rotatedAt: null,
      };
      await dataSource.getRepository(AuthSession).insert([
        { ...session, id: '00000000-0000-4000-8000-000000000001', expiresAt: past, refreshTokenHash: 'd'.repeat(64) },
        { ...session, id: '00000000-0000-4000-8000-000000000002', expiresAt: future, refreshTokenHash: 'e'.repeat(64) },
      ]);
      await dataSource.getRepository(RefreshToken).insert([
        { tokenHash: 'd'.repeat(64), sessionId: '00000000-0000-4000-8000-000000000001', createdAt: past, expiresAt: past },
        { tokenHash: 'f'.repeat(64), sessionId: '00000000-0000-4000-8000-000000000001', createdAt: past, expiresAt: past },
        { tokenHash: 'e'.repeat(64), sessionId: '00000000-0000-4000-8000-000000000002', createdAt: past, expiresAt: future },
      ]);
      await dataSource.getRepository(JwtRevocation).insert([
        { key: 'jti:expired-one', cutoffMs: null, expiresAt: past },
        { key: 'jti:live-one', cutoffMs: null, expiresAt: future },
      ]);

      const run = await cli(['purge-expired', '-d', DATA_SOURCE]);
      expect(run).to.deep.equal({
        code: 0,
        stdout: 'Purged expired rows: access tokens 2, sessions 1, refresh tokens 2, JWT revocations 1.\n',
        stderr: 'Note: OAuth states are never in the database (memory or Redis, both expire them on their own): nothing to purge there.\n',
      });
      expect(await tokens.existsBy({ tokenHash: 'c'.repeat(64) })).to.equal(true);
      expect(await dataSource.getRepository(AuthSession).existsBy({ id: '00000000-0000-4000-8000-000000000002' })).to.equal(true);
      expect(await dataSource.getRepository(RefreshToken).existsBy({ tokenHash: 'e'.repeat(64) })).to.equal(true);
      expect(await dataSource.getRepository(JwtRevocation).existsBy({ key: 'jti:live-one' })).to.equal(true);
      expect((await cli(['purge-expired', '-d', DATA_SOURCE])).stdout).to.equal(
        'Purged expired rows: access tokens 0, sessions 0, refresh tokens 0, JWT revocations 0.\n',
      );
    });

    it('a DataSource exported under a name (beside other values) is found too', async () => {
      const run = await cli(['deactivate', 'taken@example.com', '-d', join(FIXTURES, 'named-export.js')]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^Deactivated taken@example\.com; /);
      expect((await dataSource.getRepository(User).findOneByOrFail({ email: 'taken@example.com' })).isActive).to.equal(false);
    });

    it('a DataSource without the user entity, or without any session or token entity for revoke-sessions: the fix in one line', async () => {
      expectRefused(
        await cli(['deactivate', 'root@example.com', '-d', DATA_SOURCE], '', { CLI_ENTITIES: 'no-user' }),
        "The DataSource has no user entity (a subclass of BaseUser): add yours to the DataSource's `entities`.",
      );
      expectRefused(
        await cli(['revoke-sessions', 'root@example.com', '-d', DATA_SOURCE], '', { CLI_ENTITIES: 'users-only' }),
        'The DataSource has none of the AuthSession, AccessToken and JwtRevocation entities, so no session or token is in the database: add the ones your backends use to its `entities`, or call auth.revokeAllTokens(userId) in the app.',
      );
      expectRefused(
        await cli(['purge-expired', '-d', DATA_SOURCE], '', { CLI_ENTITIES: 'users-only' }),
        'The DataSource has none of the AccessToken, AuthSession + RefreshToken and JwtRevocation entities: nothing of the library to purge.',
      );
    });
  });
}
