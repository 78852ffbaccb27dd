import type { DataSource, EntityMetadata } from 'typeorm';
import type { BaseUser } from '../entities/base-user';
import { AccessToken } from '../entities/access-token';
import { firstRowOf, plainSelect } from '../typeorm/plain-select';
import { planLoading } from '../typeorm/primary-key-loader';
import { UUID } from '../users/user-store';

/** The token row (null: no such token) and its user (null: gone or soft-deleted), from one statement. */
export type TokenRowWithUser<U> = (tokenHash: string) => Promise<{ row: AccessToken | null; user: U | null }>;

const TOKEN = 't';
const USER = 'u';

/**
 * One statement for what `DatabaseStrategy.read` and the default user store's `findById` read in
 * two: the `AccessToken` row by its digest, LEFT JOINed with its user, so a token whose user is
 * gone or soft-deleted comes back without one (as `findById`'s null). On PostgreSQL that is one
 * round trip per request instead of two. Undefined when the two reads cannot be joined exactly:
 * an entity TypeORM must load itself (`planLoading`), or key types the join cannot compare.
 */
export function joinTokenWithUser<U extends BaseUser>(dataSource: DataSource, userMetadata: EntityMetadata): TokenRowWithUser<U> | undefined {
  const tokenMetadata = dataSource.getMetadata(AccessToken);
  if (planLoading(dataSource, tokenMetadata).path !== 'plain-sql' || planLoading(dataSource, userMetadata).path !== 'plain-sql') return undefined;
  // The columns a grant is made of; the user's row is whole, as findById gives it.
  const tokens = plainSelect<AccessToken>(dataSource, tokenMetadata, ['userId', 'scopes', 'expiresAt', 'sessionId', 'authTime', 'amr']);
  const users = plainSelect<U>(dataSource, userMetadata);
  const userKey = userKeyMatching(dataSource, userMetadata, tokens.column('t', 'userId'));
  if (!userKey) return undefined;
  const escape = (name: string) => dataSource.driver.escape(name);
  const firstRow = firstRowOf(
    dataSource,
    `SELECT ${tokens.columns('t', TOKEN)}, ${users.columns('u', USER)} ` +
      `FROM ${tokens.table} ${escape('t')} LEFT JOIN ${users.table} ${escape('u')} ` +
      `ON ${users.primaryKey('u')} = ${userKey}${users.notDeleted('u')} ` +
      `WHERE ${tokens.primaryKey('t')} = ${dataSource.driver.createParameter('tokenHash', 0)}`,
    [...tokens.names(TOKEN), ...users.names(USER)],
  );
  return async (tokenHash) => {
    const row = await firstRow(tokenHash);
    return { row: tokens.hydrate(row, 0), user: users.hydrate(row, tokens.width) };
  };
}

/**
 * The token's `userId` (text) as the user's primary key compares it. PostgreSQL's uuid key needs
 * a cast, guarded so a `userId` that is no uuid finds no user (as `findById` answers) instead of
 * failing the statement; the index on the key is still used.
 */
function userKeyMatching(dataSource: DataSource, userMetadata: EntityMetadata, tokenUserId: string): string | undefined {
  const type = String(userMetadata.primaryColumns[0].type);
  const textual = ['varchar', 'character varying', 'text', 'nvarchar'].includes(type);
  if (dataSource.options.type === 'postgres') {
    // `~*`: case-insensitive, as `isUuid` (the pattern is `findById`'s own, its `i` flag included).
    if (type === 'uuid') return `(CASE WHEN ${tokenUserId} ~* '${UUID.source}' THEN CAST(${tokenUserId} AS uuid) END)`;
    return textual ? tokenUserId : undefined;
  }
  // SQLite keeps uuids as text.
  return textual || type === 'uuid' ? tokenUserId : undefined;
}
