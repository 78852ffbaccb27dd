import type { DataSource } from 'typeorm';
import { AccessToken } from '../../entities/access-token';
import { AuthSession } from '../../entities/auth-session';
import { JwtRevocation } from '../../entities/jwt-revocation';
import { RefreshToken } from '../../entities/refresh-token';
import { TypeOrmSessionStore } from '../../sessions/typeorm-session-store';
import { DatabaseStrategy } from '../../strategies/database';
import { DatabaseRevocationStore } from '../../strategies/revocation/database';
import { CliError } from '../cli-error';

/** Printed on stderr: the one kind the issue names that never sits in the database. */
export const OAUTH_STATES_NOTE = 'Note: OAuth states are never in the database (memory or Redis, both expire them on their own): nothing to purge there.';

/**
 * Deletes expired rows with each store's own `purgeExpired`: access tokens, sessions, refresh
 * tokens and JWT deny-list entries, for the entities the DataSource registers. Returns the
 * confirmation line with the count per kind. Needs no user entity.
 */
export async function purgeExpired(dataSource: DataSource, now = new Date()): Promise<string> {
  const counts: string[] = [];
  const skipped: string[] = [];
  if (dataSource.hasMetadata(AccessToken)) counts.push(`access tokens ${await new DatabaseStrategy({ dataSource }).purgeExpired(now)}`);
  else skipped.push('AccessToken');
  if (dataSource.hasMetadata(AuthSession) && dataSource.hasMetadata(RefreshToken)) {
    const { sessions, refreshTokens } = await new TypeOrmSessionStore(dataSource).purgeExpiredByKind(now);
    counts.push(`sessions ${sessions}`, `refresh tokens ${refreshTokens}`);
  } else skipped.push('AuthSession + RefreshToken');
  if (dataSource.hasMetadata(JwtRevocation)) counts.push(`JWT revocations ${await new DatabaseRevocationStore(dataSource).purgeExpired(now)}`);
  else skipped.push('JwtRevocation');
  if (counts.length === 0) {
    throw new CliError('The DataSource has none of the AccessToken, AuthSession + RefreshToken and JwtRevocation entities: nothing of the library to purge.');
  }
  return `Purged expired rows: ${counts.join(', ')}${skipped.length ? ` (not in this DataSource: ${skipped.join(', ')})` : ''}.`;
}
