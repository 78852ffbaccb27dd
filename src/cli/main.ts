#!/usr/bin/env node
/**
 * `npx routing-controllers-auth <command>`: operates an app's users and tokens from its
 * DataSource alone, as TypeORM's CLI does (`-d dist/data-source.js`). Each command is a file
 * in ./commands; this one wires them to commander and turns failures into one line and an exit code.
 */
import 'reflect-metadata';
import { readFileSync } from 'fs';
import { join } from 'path';
import { Command, CommanderError, Option } from 'commander';
import { AuthConfigurationError, InvalidPasswordError, UserAlreadyExistsError } from '../errors';
import { CliError, firstLine } from './cli-error';
import { createSuperuser } from './commands/create-superuser';
import { deactivate } from './commands/deactivate';
import { migrations } from './commands/migrations';
import { OAUTH_STATES_NOTE, purgeExpired } from './commands/purge-expired';
import { revokeSessions } from './commands/revoke-sessions';
import { freshSecret } from './commands/secret';
import { setPassword } from './commands/set-password';
import { LibraryPieces, OUT_OF_REACH_NOTE } from './library-pieces';
import { loadDataSource, openDataSource } from './load-data-source';
import type { DataSource } from 'typeorm';

interface DataSourceFlags {
  dataSource: string;
  userEntity?: string;
}

const PASSWORD_INPUT = 'The password is typed without echo in a terminal, or read from the first line of stdin.';

/** The commands, as commander sees them. */
export function buildProgram(): Command {
  const program = new Command('routing-controllers-auth')
    .description("Operate routing-controllers-auth's users, sessions and tokens through your app's TypeORM DataSource.")
    .version(packageVersion())
    .exitOverride();

  withDataSource(program.command('create-superuser [email]'))
    .description(`Create an active, verified superuser. ${PASSWORD_INPUT}`)
    .option('--email <email>', 'the email (instead of the argument)')
    .action(async (email: string | undefined, flags: DataSourceFlags & { email?: string }) => {
      if (email && flags.email && email !== flags.email) throw new CliError('Two different emails given: give one, as the argument or with --email.');
      const address = email ?? flags.email;
      if (!address) throw new CliError('Give the email: create-superuser <email>.');
      await withPieces(flags, async (pieces) => done(await createSuperuser(pieces, address)));
    });

  withDataSource(program.command('set-password <email>'))
    .description(`Set a user's password and end every session and token of theirs in the database. ${PASSWORD_INPUT}`)
    .action(async (email: string, flags: DataSourceFlags) => {
      await withPieces(flags, async (pieces) => done(await setPassword(pieces, email), OUT_OF_REACH_NOTE));
    });

  withDataSource(program.command('deactivate <email>'))
    .description('Deactivate a user (login refused) and end every session and token of theirs in the database.')
    .action(async (email: string, flags: DataSourceFlags) => {
      await withPieces(flags, async (pieces) => done(await deactivate(pieces, email), OUT_OF_REACH_NOTE));
    });

  withDataSource(program.command('revoke-sessions <email>'))
    .description('End every session, refresh token and access token of a user in the database, and revoke their JWTs (with the JwtRevocation entity).')
    .action(async (email: string, flags: DataSourceFlags) => {
      await withPieces(flags, async (pieces) => done(await revokeSessions(pieces, email), OUT_OF_REACH_NOTE));
    });

  program
    .command('purge-expired')
    .description('Delete expired access tokens, sessions, refresh tokens and JWT revocations; print the count of each.')
    .addOption(dataSourceOption())
    .action(async (flags: DataSourceFlags) => {
      await withOpenDataSource(flags.dataSource, async (dataSource) => done(await purgeExpired(dataSource), OAUTH_STATES_NOTE));
    });

  withDataSource(program.command('migrations'))
    .description("Print the migration that creates or updates the library's tables for your DataSource's database (nothing is run).")
    .option('--write <dir>', 'write it to a file in this folder instead of printing it')
    .option('--js', 'CommonJS JavaScript instead of TypeScript')
    .action(async (flags: DataSourceFlags & { write?: string; js?: boolean }) => {
      await withOpenDataSource(flags.dataSource, async (dataSource) => {
        const { output, note } = await migrations(dataSource, flags);
        done(output, note);
      });
    });

  program
    .command('secret')
    .description('Print a fresh 256-bit secret (base64url), for Auth.configure({ secret }) or JwtStrategy.')
    .action(() => done(freshSecret()));

  return program;
}

function dataSourceOption(): Option {
  return new Option('-d, --data-source <path>', 'the compiled file that exports your DataSource (default or named export)').makeOptionMandatory();
}

function withDataSource(command: Command): Command {
  return command.addOption(dataSourceOption()).option('--user-entity <name>', 'the user entity, when the DataSource has several');
}

/** Opens the file's DataSource for one command and always closes it. */
async function withOpenDataSource(path: string, run: (dataSource: DataSource) => Promise<void>): Promise<void> {
  const dataSource = await openDataSource(loadDataSource(path), path);
  try {
    await run(dataSource);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

function withPieces(flags: DataSourceFlags, run: (pieces: LibraryPieces) => Promise<void>): Promise<void> {
  return withOpenDataSource(flags.dataSource, (dataSource) => run(new LibraryPieces(dataSource, flags.userEntity)));
}

/** The result on stdout; a note (what the tool could not reach) on stderr. */
function done(output: string, note?: string): void {
  process.stdout.write(`${output.trimEnd()}\n`);
  if (note) process.stderr.write(`${note}\n`);
}

/** The library's version, from its own package.json; "unknown" when dist/ runs outside the package (commander's `version(undefined)` would read, not set). */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { name?: unknown; version?: unknown };
    if (manifest.name === 'routing-controllers-auth' && typeof manifest.version === 'string') return manifest.version;
  } catch {
    // no readable package.json beside dist/: fall through
  }
  return 'unknown';
}

/** The one line an operator sees for a failure, and the exit code: 2 for what they can fix, 1 for the rest. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: 2 };
  if (error instanceof InvalidPasswordError) return { message: `The password was refused: ${error.reason} Nothing was changed.`, exitCode: 2 };
  if (error instanceof UserAlreadyExistsError) return { message: error.message, exitCode: 2 };
  if (error instanceof AuthConfigurationError) return { message: firstLine(error), exitCode: 2 };
  // SQLite and PostgreSQL say it their way; the user store may hand on the driver's own error.
  if (error instanceof Error && /no such table|no such column|relation "[^"]*" does not exist|column "[^"]*" does not exist/.test(error.message)) {
    return {
      // TypeORM 1.x prefixes the driver's class (`SqliteError: no such table…`); 0.3 does not: one message for both.
      message: `${firstLine(error).replace(/^[A-Za-z]*Error: /, '')}: the database lacks the library's tables; create them with \`routing-controllers-auth migrations\` and your migration runner.`,
      exitCode: 2,
    };
  }
  return { message: `Unexpected failure: ${firstLine(error)}`, exitCode: 1 };
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    // commander has printed its own message (usage errors) or the help already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const { message, exitCode } = describeFailure(error);
    process.stderr.write(`error: ${message}\n`);
    return exitCode;
  }
}

if (require.main === module) {
  // An explicit exit once the output is flushed: a DataSource file may open handles of its own.
  void main(process.argv).then((code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code))));
}
