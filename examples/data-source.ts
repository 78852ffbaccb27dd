import path from 'path';
import type { DataSourceOptions } from 'typeorm';
import { AccessToken, ApiKey, AuthSession, OAuthAccount, Passkey, RecoveryCode, RefreshToken, TwoFactorSecret } from '../src';
import { User } from './user';

/** Where the example keeps its SQLite file unless told otherwise (gitignored via `*.sqlite`). */
export const DEFAULT_EXAMPLE_DATABASE = 'examples/app.sqlite';

/**
 * The example's TypeORM configuration, shared by the app and by `ormconfig.ts` (the TypeORM
 * CLI's data source), so the schema the CLI diffs is exactly the one the app uses.
 *
 * The schema comes from the migrations in `migrations/`, not from `synchronize`: that is the
 * production way, and the CLI can only generate a diff against a database it does not rewrite.
 */
export function exampleDataSourceOptions(database: string = DEFAULT_EXAMPLE_DATABASE): DataSourceOptions {
  return {
    type: 'better-sqlite3',
    database,
    entities: [User, AccessToken, AuthSession, RefreshToken, OAuthAccount, TwoFactorSecret, RecoveryCode, Passkey, ApiKey],
    // Compiled migrations, found next to this file's compiled copy (dist/examples → dist/migrations),
    // so the glob works whatever the working directory. Forward slashes: TypeORM globs them.
    migrations: [path.join(__dirname, '..', 'migrations', '*.js').split(path.sep).join('/')],
    synchronize: false,
    // Write-ahead logging: reads (every authenticated request reads its user) no longer take the
    // file lock's syscalls, about halving their cost on a file database.
    enableWAL: database !== ':memory:',
  };
}
