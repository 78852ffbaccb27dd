import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import ts from 'typescript';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { DataSource } from 'typeorm';
import { cliDataSourceOptions, User } from '../support/cli/entities';
import { ADMIN_PASSWORD, DATA_SOURCE, expectRefused, FIXTURES, runCli, runInTerminal } from '../support/cli/run';

// The command-line tool's input (a real terminal) and its refusals that need no app: the
// commands' effects on SQLite and PostgreSQL are in cli.test.ts.
describe('command-line tool: input and errors that need no schema', function () {
  this.timeout(60_000);
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rca-cli-errors-'));
    env = { CLI_DB_TYPE: 'sqlite', CLI_DB: join(dir, 'app.sqlite'), CLI_ENTITIES: 'two-users' };
    // The schema the tool expects, made the way the other suite proves correct.
    const dataSource = await new DataSource({ ...cliDataSourceOptions(env), synchronize: true }).initialize();
    await dataSource.destroy();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('secret: a fresh 256-bit secret in base64url, different every time', async () => {
    const [first, second] = await Promise.all([runCli(['secret'], env), runCli(['secret'], env)]);
    expect(first.code).to.equal(0);
    expect(first.stdout).to.match(/^[A-Za-z0-9_-]{43}\n$/);
    expect(Buffer.from(first.stdout.trim(), 'base64url')).to.have.length(32);
    expect(second.stdout).not.to.equal(first.stdout);
  });

  it('a real terminal: the password is asked twice and never echoed; the superuser is created', async () => {
    const { code, screen } = await runInTerminal(['create-superuser', 'tty@example.com', '-d', DATA_SOURCE, '--user-entity', 'User'], env, [
      ADMIN_PASSWORD,
      ADMIN_PASSWORD,
    ]);
    expect(code, screen).to.equal(0);
    expect(screen).to.contain('Password: ');
    expect(screen).to.contain('Password (again): ');
    expect(screen).to.match(/Created superuser tty@example\.com \(id [0-9a-f-]{36}\)\./);
    expect(screen).not.to.contain(ADMIN_PASSWORD);
    expect(screen).not.to.contain(ADMIN_PASSWORD.slice(0, 5));
  });

  it('a real terminal: two different passwords create nothing', async () => {
    const { code, screen } = await runInTerminal(['create-superuser', 'typo@example.com', '-d', DATA_SOURCE, '--user-entity', 'User'], env, [
      ADMIN_PASSWORD,
      `${ADMIN_PASSWORD}!`,
    ]);
    expect(code).to.equal(2);
    expect(screen).to.contain('error: The two passwords differ: nothing was changed.');
    expect(screen).not.to.contain(ADMIN_PASSWORD.slice(0, 5));
    const dataSource = await new DataSource(cliDataSourceOptions(env)).initialize();
    try {
      expect(await dataSource.getRepository(User).countBy({ email: 'typo@example.com' })).to.equal(0);
      expect(await dataSource.getRepository(User).countBy({ email: 'tty@example.com' })).to.equal(1);
    } finally {
      await dataSource.destroy();
    }
  });

  it('several user entities: the tool asks for --user-entity, and refuses a name it does not know', async () => {
    expectRefused(
      await runCli(['deactivate', 'tty@example.com', '-d', DATA_SOURCE], env),
      'The DataSource has several user entities (User, Admin): choose one with --user-entity <name>.',
    );
    expectRefused(
      await runCli(['deactivate', 'tty@example.com', '-d', DATA_SOURCE, '--user-entity', 'Member'], env),
      'The DataSource has no user entity named "Member" (its user entities: User, Admin): add it to the DataSource\'s `entities`.',
    );
  });

  it('a bad DataSource path, a file exporting no DataSource, a TypeScript file: one line each, exit code 2', async () => {
    const missing = join(dir, 'nope.js');
    expectRefused(
      await runCli(['purge-expired', '-d', missing], env),
      `No data source file at ${missing}: give the compiled file that exports your DataSource (-d dist/data-source.js).`,
    );
    const noExport = join(FIXTURES, 'no-data-source.js');
    expectRefused(
      await runCli(['purge-expired', '-d', noExport], env),
      `${noExport} exports no DataSource: export one (export default new DataSource({ ... })).`,
    );
    const typescript = join(dir, 'data-source.ts');
    writeFileSync(typescript, 'export default {};\n');
    expectRefused(
      await runCli(['purge-expired', '-d', typescript], env),
      `${typescript} is TypeScript: compile it with tsc and give the .js file, or run the tool under ts-node (node -r ts-node/register node_modules/.bin/routing-controllers-auth ...).`,
    );
    const broken = join(dir, 'broken.js');
    writeFileSync(broken, 'throw new Error("DATABASE_URL is not set");\n');
    expectRefused(await runCli(['purge-expired', '-d', broken], env), `Could not load ${broken}: DATABASE_URL is not set`);
  });

  it('a database without the tables: the fix in one line, exit code 2', async () => {
    const run = await runCli(['revoke-sessions', 'someone@example.com', '-d', DATA_SOURCE], {
      CLI_DB_TYPE: 'sqlite',
      CLI_DB: join(dir, 'empty.sqlite'),
      CLI_ENTITIES: 'all',
    });
    expectRefused(
      run,
      "no such table: user: the database lacks the library's tables; create them with `routing-controllers-auth migrations` and your migration runner.",
    );
  });

  it('create-superuser refuses an address that is no email, before asking for a password', async () => {
    expectRefused(
      await runCli(['create-superuser', 'root', '-d', DATA_SOURCE, '--user-entity', 'User'], env, 'an admin passphrase\n'),
      '"root" is not an email address.',
    );
  });

  it('migrations without --write: prints a TypeScript migration for an empty database that type-checks under strict', async () => {
    const run = await runCli(['migrations', '-d', DATA_SOURCE], { ...env, CLI_DB: join(dir, 'empty-for-migration.sqlite'), CLI_ENTITIES: 'all' });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(
      /^\/\/ routing-controllers-auth's tables \(user, access_token, auth_session, refresh_token, jwt_revocation\) for better-sqlite3/,
    );
    expect(run.stdout).to.match(/export class RoutingControllersAuth\d{13} implements MigrationInterface/);
    // Beside the compiled tests, so `typeorm` resolves from this repository's node_modules.
    const folder = mkdtempSync(join(resolve(__dirname), 'cli-migration-'));
    try {
      const file = join(folder, 'migration.ts');
      writeFileSync(file, run.stdout);
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        skipLibCheck: true,
        types: [],
      });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(problems).to.deep.equal([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("migrations for a user entity related to the app's other entities: the whole DataSource's migration, and a note saying so", async () => {
    const run = await runCli(['migrations', '-d', DATA_SOURCE], { ...env, CLI_DB: join(dir, 'related.sqlite'), CLI_ENTITIES: 'related-user' });
    expect(run.code, run.stderr).to.equal(0);
    for (const table of ['member', 'note', 'access_token']) expect(run.stdout).to.contain(`CREATE TABLE "${table}"`);
    expect(run.stderr).to.match(
      /^Note: the user entity cannot be described without the app's other entities \(.+\): this migration holds every pending change of the DataSource, the app's own tables too\.\n$/,
    );
  });

  it('usage errors (no --data-source, an unknown command) exit with 2; --help with 0', async () => {
    const noDataSource = await runCli(['purge-expired'], env);
    expect([noDataSource.code, noDataSource.stderr]).to.deep.equal([2, "error: required option '-d, --data-source <path>' not specified\n"]);
    const unknown = await runCli(['purge'], env);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain("error: unknown command 'purge'");
    const help = await runCli(['--help'], env);
    expect(help.code).to.equal(0);
    for (const command of ['create-superuser', 'set-password', 'deactivate', 'revoke-sessions', 'purge-expired', 'migrations', 'secret']) {
      expect(help.stdout).to.contain(command);
    }
  });
});
