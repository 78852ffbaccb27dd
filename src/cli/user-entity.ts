import type { DataSource, EntityMetadata } from 'typeorm';
import type { BaseUser } from '../entities/base-user';
import { CliError } from './cli-error';

/** The columns every `BaseUser` subclass has. */
const USER_COLUMNS = ['id', 'email', 'hashedPassword', 'isActive', 'isSuperuser', 'isVerified', 'scopes'];

/**
 * The app's user entity among the DataSource's entities: the one with `BaseUser`'s columns
 * (recognised by its columns rather than by class identity, so a second copy of the library in
 * node_modules still finds it), or the one named by `--user-entity` when there are several.
 */
export function findUserEntity(dataSource: DataSource, name?: string): new () => BaseUser {
  const users = dataSource.entityMetadatas.filter(isUserEntity);
  const names = users.map((m) => m.name).join(', ');
  if (name !== undefined) {
    const chosen = users.find((m) => m.name === name || m.tableName === name);
    if (!chosen) {
      throw new CliError(
        `The DataSource has no user entity named "${name}"${users.length ? ` (its user entities: ${names})` : ''}: add it to the DataSource's \`entities\`.`,
      );
    }
    return chosen.target as new () => BaseUser;
  }
  if (users.length === 0) {
    throw new CliError("The DataSource has no user entity (a subclass of BaseUser): add yours to the DataSource's `entities`.");
  }
  if (users.length > 1) throw new CliError(`The DataSource has several user entities (${names}): choose one with --user-entity <name>.`);
  return users[0].target as new () => BaseUser;
}

function isUserEntity(metadata: EntityMetadata): boolean {
  if (typeof metadata.target !== 'function') return false;
  const columns = new Set(metadata.columns.map((c) => c.propertyName));
  return USER_COLUMNS.every((column) => columns.has(column));
}
