import { randomBytes } from 'crypto';
import type { DataSource } from 'typeorm';
import { AccessToken } from '../entities/access-token';
import { AuthSession } from '../entities/auth-session';
import type { BaseUser } from '../entities/base-user';
import { JwtRevocation } from '../entities/jwt-revocation';
import { TypeOrmSessionStore } from '../sessions/typeorm-session-store';
import { DatabaseStrategy } from '../strategies/database';
import { DatabaseRevocationStore } from '../strategies/revocation/database';
import { Argon2PasswordHasher } from '../users/password';
import { UserManager } from '../users/user-manager';
import { TypeOrmUserStore } from '../users/user-store';
import { UserTokens } from '../users/user-tokens';
import { CliError } from './cli-error';
import { findUserEntity } from './user-entity';

/** What "end every session and token of a user" did in the database. */
export interface Revoked {
  /** Sessions ended, with their refresh tokens; null when `AuthSession` is not registered. */
  sessions: number | null;
  /** Access tokens deleted; null when `AccessToken` is not registered. */
  accessTokens: number | null;
  /** True when a JWT cut-off was written (`JwtRevocation` registered). */
  jwtCutoff: boolean;
}

/**
 * The library's own pieces, built from the DataSource alone (no `Auth.configure`, no backends):
 * the default `UserManager` over the TypeORM user store with the argon2id hasher, and the
 * database-held sessions, access tokens and JWT cut-offs. What lives outside the DataSource
 * (Redis) and the app's own `UserManager` hooks are out of its reach.
 */
export class LibraryPieces<U extends BaseUser = BaseUser> {
  readonly userEntity: new () => U;
  readonly users: UserManager<U>;
  /** Counts of the last revocation the user manager triggered. */
  lastRevoked: Revoked | undefined;

  constructor(
    readonly dataSource: DataSource,
    userEntityName?: string,
  ) {
    this.userEntity = findUserEntity(dataSource, userEntityName) as new () => U;
    this.users = new UserManager<U>({
      store: new TypeOrmUserStore(dataSource, this.userEntity),
      hasher: new Argon2PasswordHasher(),
      // Signs verify and reset tokens, which the tool never issues: a throwaway key will do.
      tokens: new UserTokens(randomBytes(32).toString('base64url')),
      revokeAllTokens: async (userId) => {
        this.lastRevoked = await this.revokeAll(userId);
      },
    });
  }

  /** Has the DataSource this entity registered? */
  has(entity: Function): boolean {
    return this.dataSource.hasMetadata(entity);
  }

  /** The user with this email, or the one-line error naming it. */
  async userByEmail(email: string): Promise<U> {
    const user = await this.users.getByEmail(email);
    if (!user) throw new CliError(`No user has the email ${email}.`);
    return user;
  }

  /** Ends every database-held session and token of the user (what `auth.revokeAllTokens` does for them). */
  async revokeAll(userId: string): Promise<Revoked> {
    const revoked: Revoked = { sessions: null, accessTokens: null, jwtCutoff: false };
    if (this.has(AuthSession)) revoked.sessions = (await new TypeOrmSessionStore(this.dataSource).revokeAllForUser(userId)).length;
    if (this.has(AccessToken)) {
      revoked.accessTokens = await this.dataSource.getRepository(AccessToken).countBy({ userId });
      await new DatabaseStrategy({ dataSource: this.dataSource }).revokeAllForUser(userId);
    }
    if (this.has(JwtRevocation)) {
      await new DatabaseRevocationStore(this.dataSource).revokeAllIssuedBefore(userId, new Date());
      revoked.jwtCutoff = true;
    }
    return revoked;
  }
}

/** "ended 2 sessions, deleted 3 access tokens, revoked the JWTs issued so far" (what was reachable). */
export function describeRevoked(revoked: Revoked): string {
  const parts: string[] = [];
  if (revoked.sessions !== null) parts.push(`ended ${plural(revoked.sessions, 'session')} with their refresh tokens`);
  if (revoked.accessTokens !== null) parts.push(`deleted ${plural(revoked.accessTokens, 'access token')}`);
  if (revoked.jwtCutoff) parts.push('revoked the JWTs issued so far');
  return parts.length ? parts.join(', ') : 'no session or token table in the DataSource';
}

/** Printed on stderr after every revocation: what the DataSource alone cannot reach. */
export const OUT_OF_REACH_NOTE =
  'Note: sessions and tokens kept in Redis (RedisStrategy, RedisSessionStore, RedisRevocationStore), and JWTs without the JwtRevocation entity, are out of reach of this tool (it knows only the DataSource): call auth.revokeAllTokens(userId) in the app for those.';

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
