import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { BaseUser } from '../entities/base-user';
import { UUID } from '../users/user-store';
import { firstRowOf, plainSelect } from './plain-select';
import { planLoading } from './primary-key-loader';

/** A row found by its primary key (null: none) and its user (null: gone or soft-deleted), from one statement. */
export type RowWithUser<R, U> = (primaryKey: string) => Promise<{ row: R | null; user: U | null }>;

const ROW = 't';
const USER = 'u';

/**
 * One statement for what a primary-key read of a credential row (an `AccessToken`, an `ApiKey`)
 * and the default user store's `findById` read in two: the row LEFT JOINed with its user, so a row
 * whose user is gone or soft-deleted comes back without one (as `findById`'s null). On PostgreSQL
 * that is one round trip per request instead of two. Undefined when the two reads cannot be joined
 * exactly: an entity TypeORM must load itself (`planLoading`), or key types the join cannot compare.
 *
 * @param properties the row's columns the caller reads (the primary key always comes too).
 * @param userIdProperty the row's column holding its user's id.
 */
export function joinRowWithUser<R extends ObjectLiteral, U extends BaseUser>(
  dataSource: DataSource,
  rowEntity: EntityTarget<R>,
  properties: readonly string[],
  userIdProperty: string,
  userMetadata: EntityMetadata,
): RowWithUser<R, U> | undefined {
  const rowMetadata = dataSource.getMetadata(rowEntity);
  if (planLoading(dataSource, rowMetadata).path !== 'plain-sql' || planLoading(dataSource, userMetadata).path !== 'plain-sql') return undefined;
  // The columns the caller reads; the user's row is whole, as findById gives it.
  const rows = plainSelect<R>(dataSource, rowMetadata, properties);
  const users = plainSelect<U>(dataSource, userMetadata);
  const userKey = userKeyMatching(dataSource, userMetadata, rows.column('t', userIdProperty));
  if (!userKey) return undefined;
  const escape = (name: string) => dataSource.driver.escape(name);
  const firstRow = firstRowOf(
    dataSource,
    `SELECT ${rows.columns('t', ROW)}, ${users.columns('u', USER)} ` +
      `FROM ${rows.table} ${escape('t')} LEFT JOIN ${users.table} ${escape('u')} ` +
      `ON ${users.primaryKey('u')} = ${userKey}${users.notDeleted('u')} ` +
      `WHERE ${rows.primaryKey('t')} = ${dataSource.driver.createParameter('key', 0)}`,
    [...rows.names(ROW), ...users.names(USER)],
  );
  return async (primaryKey) => {
    const row = await firstRow(primaryKey);
    return { row: rows.hydrate(row, 0), user: users.hydrate(row, rows.width) };
  };
}

/**
 * The row's user id (text) as the user's primary key compares it. PostgreSQL's uuid key needs a
 * cast, guarded so a user id that is no uuid finds no user (as `findById` answers) instead of
 * failing the statement; the index on the key is still used.
 */
function userKeyMatching(dataSource: DataSource, userMetadata: EntityMetadata, rowUserId: string): string | undefined {
  const type = String(userMetadata.primaryColumns[0].type);
  const textual = ['varchar', 'character varying', 'text', 'nvarchar'].includes(type);
  if (dataSource.options.type === 'postgres') {
    // `~*`: case-insensitive, as `isUuid` (the pattern is `findById`'s own, its `i` flag included).
    if (type === 'uuid') return `(CASE WHEN ${rowUserId} ~* '${UUID.source}' THEN CAST(${rowUserId} AS uuid) END)`;
    return textual ? rowUserId : undefined;
  }
  // SQLite keeps uuids as text.
  return textual || type === 'uuid' ? rowUserId : undefined;
}
