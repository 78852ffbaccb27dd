import type { DataSource, EntityMetadata } from 'typeorm';
import type { BaseUser } from '../entities/base-user';
import { AccessToken } from '../entities/access-token';
import { joinRowWithUser } from '../typeorm/row-with-user';

/** The token row (null: no such token) and its user (null: gone or soft-deleted), from one statement. */
export type TokenRowWithUser<U> = (tokenHash: string) => Promise<{ row: AccessToken | null; user: U | null }>;

/**
 * One statement for what `DatabaseStrategy.read` and the default user store's `findById` read in
 * two: the `AccessToken` row by its digest, LEFT JOINed with its user (see `joinRowWithUser`).
 * Undefined when the two reads cannot be joined exactly.
 */
export function joinTokenWithUser<U extends BaseUser>(dataSource: DataSource, userMetadata: EntityMetadata): TokenRowWithUser<U> | undefined {
  // The columns a grant is made of.
  return joinRowWithUser<AccessToken, U>(dataSource, AccessToken, ['userId', 'scopes', 'expiresAt', 'sessionId', 'authTime', 'amr'], 'userId', userMetadata);
}
