import { expect } from 'chai';
import { execFile } from 'child_process';
import { mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { AccessToken, Auth, AuthenticationBackend, BearerTransport, DatabaseStrategy, OAuthAccount, TypeOrmPasskeyStore } from '../../src';
import { exampleDataSourceOptions } from '../../examples/data-source';
import { User } from '../../examples/user';
import { digestToken } from '../../src/strategies/opaque-token';

const SECRET = 'migrations-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
/** dist/ — where the TypeORM CLI finds the compiled ormconfig.js and migrations. */
const DIST = resolve(__dirname, '../..');

/** The diff TypeORM's schema builder would apply (what `migration:generate` writes). */
async function pendingQueries(dataSource: DataSource) {
  return dataSource.driver.createSchemaBuilder().log();
}

/** A migration class made from a schema diff, as `migration:generate` makes one. */
function migrationFrom(diff: Awaited<ReturnType<typeof pendingQueries>>, name: string): Function {
  const migration = class implements MigrationInterface {
    name = name;
    async up(runner: QueryRunner) {
      for (const q of diff.upQueries) await runner.query(q.query, q.parameters);
    }
    async down(runner: QueryRunner) {
      for (const q of [...diff.downQueries].reverse()) await runner.query(q.query, q.parameters);
    }
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}

/** Every table and index of a SQLite database as the SQL that created it (TypeORM's own table aside). */
function schemaOf(dataSource: DataSource): Promise<{ type: string; name: string; sql: string }[]> {
  return dataSource.query(`SELECT type, name, sql FROM sqlite_master WHERE name NOT IN ('migrations', 'sqlite_sequence') ORDER BY type, name`);
}

/** Stores a user and a database-strategy token, and reads the token back. */
async function storeUserAndToken(dataSource: DataSource) {
  const strategy = new DatabaseStrategy({ lifetimeSeconds: 600 });
  const auth = new Auth<User>({
    dataSource,
    userEntity: User,
    secret: SECRET,
    backends: [new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/login' }), strategy })],
  });
  const user = await auth.userManager.create(
    { email: 'Migrated@Example.com', password: 'a passphrase for the schema test', scopes: ['items:write'] },
    { safe: false },
  );
  const token = await auth.createToken(user);
  return { user, token, grant: await strategy.read(token) };
}

function typeormCli(args: string[], database: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [require.resolve('typeorm/cli.js'), ...args, '-d', join(DIST, 'ormconfig.js')],
      { cwd: resolve(DIST, '..'), env: { ...process.env, SQLITE_PATH: database }, timeout: 30_000 },
      (error, stdout, stderr) => (error ? fail(new Error(`typeorm ${args.join(' ')} failed: ${stderr || stdout}`)) : done(stdout)),
    );
  });
}

describe('migrations (ormconfig.ts + migrations/)', () => {
  let dir: string;
  const sources: DataSource[] = [];

  async function open(file: string, overrides: Partial<{ migrations: Function[] | string[]; synchronize: boolean }> = {}): Promise<DataSource> {
    const dataSource = new DataSource({ ...exampleDataSourceOptions(join(dir, file)), ...overrides });
    sources.push(dataSource);
    return dataSource.initialize();
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rca-migrations-'));
  });

  afterEach(async () => {
    for (const s of sources.splice(0)) if (s.isInitialized) await s.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the example data source does not synchronize: a fresh database needs the user and access_token tables', async () => {
    const dataSource = await open('fresh.sqlite');
    expect(dataSource.options.synchronize).to.equal(false);
    const diff = await pendingQueries(dataSource);
    const sql = diff.upQueries.map((q) => q.query).join('\n');
    expect(sql).to.contain('CREATE TABLE "user"');
    expect(sql).to.contain('CREATE TABLE "access_token"');
    const tables = await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('user', 'access_token')`);
    expect(tables, 'looking at the diff changed nothing').to.deep.equal([]);
  });

  it('a migration generated from the diff creates the schema, stores users and tokens, and reverts', async () => {
    const probe = await open('probe.sqlite');
    const Generated = migrationFrom(await pendingQueries(probe), 'Generated1000000000000');

    const dataSource = await open('app.sqlite', { migrations: [Generated] });
    const ran = await dataSource.runMigrations();
    expect(ran.map((m) => m.name)).to.deep.equal(['Generated1000000000000']);
    expect((await pendingQueries(dataSource)).upQueries, 'no pending schema change after the migration').to.deep.equal([]);

    const { user, grant } = await storeUserAndToken(dataSource);
    expect(user.email).to.equal('migrated@example.com');
    expect(grant).to.deep.equal({ userId: user.id, scopes: ['items:write'] });

    await dataSource.undoLastMigration();
    const tables = await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('user', 'access_token')`);
    expect(tables, 'down() drops both tables').to.deep.equal([]);
  });

  it('the committed migration (dist/migrations) matches the entities: run it and nothing is pending', async () => {
    // If this fails after an entity change, generate a new migration (docs/example.md).
    const dataSource = await open('committed.sqlite', { migrations: exampleDataSourceOptions().migrations as string[] });
    const ran = await dataSource.runMigrations();
    expect(ran.length, 'at least the Init migration ran').to.be.greaterThan(0);
    expect(ran[0].name).to.match(/^Init\d+$/);
    const diff = await pendingQueries(dataSource);
    expect(
      diff.upQueries.map((q) => q.query),
      'entities and migrations agree',
    ).to.deep.equal([]);
    // And in SQL, not only in TypeORM's model of it: the tables and indexes the migrations made
    // are, statement for statement, what synchronize makes.
    const synchronized = await open('synchronized.sqlite', { synchronize: true });
    expect(await schemaOf(dataSource)).to.deep.equal(await schemaOf(synchronized));

    const { token, grant, user } = await storeUserAndToken(dataSource);
    expect(grant && 'userId' in grant ? grant.userId : grant).to.equal(user.id);
    const rows = await dataSource.getRepository(AccessToken).find();
    expect(rows).to.have.length(1);
    expect(rows[0].tokenHash).to.equal(digestToken(token));
    expect(JSON.stringify(rows), 'only the digest is stored').not.to.contain(token);

    // The passkey table, as the migration made it, holds a full 32-bit sign counter and its transports.
    const passkeys = new TypeOrmPasskeyStore(dataSource);
    const passkey = await passkeys.create({
      credentialId: 'Y3JlZGVudGlhbA',
      publicKey: 'cHVibGlj',
      counter: 4_294_967_295,
      transports: ['internal'],
      name: 'Laptop',
      deviceType: 'singleDevice',
      backedUp: false,
      aaguid: null,
      userId: user.id,
    });
    expect(await passkeys.findByCredentialId('Y3JlZGVudGlhbA')).to.deep.include({ id: passkey!.id, counter: 4_294_967_295, transports: ['internal'] });
  });

  it('a provider link made before OAuthAccount.emailVerified existed becomes false (it lasts until the email is next proven)', async () => {
    const folder = join(DIST, 'migrations');
    const all = readdirSync(folder)
      .filter((file) => file.endsWith('.js'))
      .sort()
      .map((file) => join(folder, file));
    const before = all.filter((file) => !file.includes('OAuthAccountEmailVerified'));
    expect(before.length, 'the column comes in a migration of its own').to.equal(all.length - 1);
    const old = await open('links.sqlite', { migrations: before });
    await old.runMigrations();
    await old.query(
      `INSERT INTO "oauth_account" ("id", "providerName", "accountId", "accountEmail", "userId") VALUES ('00000000-0000-4000-8000-000000000001', 'google', 'sub-1', 'a@example.com', 'u1')`,
    );
    await old.destroy();

    const upgraded = await open('links.sqlite', { migrations: all });
    expect((await upgraded.runMigrations()).map((m) => m.name)).to.deep.equal(['OAuthAccountEmailVerified1796397934507']);
    const [link] = await upgraded.getRepository(OAuthAccount).find();
    expect(link).to.include({ accountId: 'sub-1', userId: 'u1', emailVerified: false });
  });

  it('the TypeORM CLI runs the migrations through dist/ormconfig.js', async function () {
    this.timeout(60_000); // four CLI processes, each loading TypeORM
    const database = join(dir, 'cli.sqlite');
    // --dr (dry run) prints the migration it would write for this fresh database, writing nothing.
    const generated = await typeormCli(['migration:generate', join(dir, 'Probe'), '--dr'], database);
    expect(generated).to.contain('CREATE TABLE "user"').and.to.contain('CREATE TABLE "access_token"');
    expect(await typeormCli(['migration:show'], database)).to.match(/\[ \] Init\d+/);
    expect(await typeormCli(['migration:run'], database)).to.match(/Migration Init\d+ has been executed successfully/);
    expect(await typeormCli(['migration:show'], database)).to.match(/\[X\] \d+ Init\d+/);
    expect(await typeormCli(['schema:log'], database)).to.contain('Your schema is up to date');

    const dataSource = await open('cli.sqlite');
    const { grant, user } = await storeUserAndToken(dataSource);
    expect(grant).to.deep.equal({ userId: user.id, scopes: ['items:write'] });
  });
});
