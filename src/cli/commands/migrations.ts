import { mkdirSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { DataSource } from 'typeorm';
import { AccessToken } from '../../entities/access-token';
import { AuthSession } from '../../entities/auth-session';
import { JwtRevocation } from '../../entities/jwt-revocation';
import { OAuthAccount } from '../../entities/oauth-account';
import { RecoveryCode } from '../../entities/recovery-code';
import { RefreshToken } from '../../entities/refresh-token';
import { TwoFactorSecret } from '../../entities/two-factor-secret';
import { firstLine } from '../cli-error';
import { findUserEntity } from '../user-entity';

export interface MigrationsOptions {
  /** A folder to write the migration file to; without it the file goes to stdout. */
  write?: string;
  /** CommonJS JavaScript instead of TypeScript. */
  js?: boolean;
  userEntity?: string;
}

/** One schema change, as TypeORM's schema builder logs it. */
interface Query {
  query: string;
  parameters?: unknown[];
}

const LIBRARY_ENTITIES = [AccessToken, AuthSession, RefreshToken, JwtRevocation, OAuthAccount, TwoFactorSecret, RecoveryCode];

/**
 * The migration that brings the database to the library's tables (the user entity and each
 * library entity the app's DataSource registers), in the database's own dialect: what TypeORM's
 * `migration:generate` would write, restricted to those tables. Nothing is run. Returns the
 * confirmation line when written, the file text otherwise.
 */
export async function migrations(app: DataSource, options: MigrationsOptions): Promise<{ output: string; note?: string }> {
  const entities = [findUserEntity(app, options.userEntity), ...LIBRARY_ENTITIES.filter((entity) => app.hasMetadata(entity))];
  const names = entities.map((entity) => app.getMetadata(entity).tableName);
  const { queries, note } = await pendingChanges(app, entities);
  if (queries.upQueries.length === 0) return { output: `No migration needed: the database already matches the library's tables (${names.join(', ')}).`, note };

  const timestamp = Date.now();
  const className = `RoutingControllersAuth${timestamp}`;
  const header = `routing-controllers-auth's tables (${names.join(', ')}) for ${app.options.type}, from \`npx routing-controllers-auth migrations\`.`;
  const text = (options.js ? javascriptMigration : typescriptMigration)(className, header, queries.upQueries, [...queries.downQueries].reverse());
  if (!options.write) return { output: text, note };

  const dir = resolve(process.cwd(), options.write);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${timestamp}-RoutingControllersAuth.${options.js ? 'js' : 'ts'}`);
  writeFileSync(file, text);
  return { output: `Wrote ${file} (${queries.upQueries.length} statements).`, note };
}

/**
 * The schema diff for these entities alone, from a second connection that knows only them. A
 * user entity related to the app's other entities cannot be described alone: then the diff of the
 * whole DataSource, with a note saying so.
 */
async function pendingChanges(app: DataSource, entities: Function[]): Promise<{ queries: { upQueries: Query[]; downQueries: Query[] }; note?: string }> {
  const restricted = new DataSource({
    ...app.options,
    entities,
    migrations: [],
    subscribers: [],
    synchronize: false,
    migrationsRun: false,
    dropSchema: false,
    logging: false,
  });
  try {
    await restricted.initialize();
  } catch (error) {
    return {
      queries: await app.driver.createSchemaBuilder().log(),
      note: `Note: the user entity cannot be described without the app's other entities (${firstLine(error)}): this migration holds every pending change of the DataSource, the app's own tables too.`,
    };
  }
  try {
    return { queries: await restricted.driver.createSchemaBuilder().log() };
  } finally {
    await restricted.destroy();
  }
}

/** A template literal holding `text` as it is. */
function literal(text: string): string {
  return `\`${text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${')}\``;
}

function calls(queries: Query[]): string {
  return queries.map((q) => `    await queryRunner.query(${literal(q.query)}${q.parameters?.length ? `, ${JSON.stringify(q.parameters)}` : ''});`).join('\n');
}

function typescriptMigration(className: string, header: string, up: Query[], down: Query[]): string {
  return `// ${header}
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  public async up(queryRunner: QueryRunner): Promise<void> {
${calls(up)}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
${calls(down)}
  }
}
`;
}

function javascriptMigration(className: string, header: string, up: Query[], down: Query[]): string {
  return `// ${header}
'use strict';

class ${className} {
  name = '${className}';

  async up(queryRunner) {
${calls(up)}
  }

  async down(queryRunner) {
${calls(down)}
  }
}

exports.${className} = ${className};
`;
}
