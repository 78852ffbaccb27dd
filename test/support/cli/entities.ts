import { DataSource, Entity, ManyToOne, OneToMany, PrimaryGeneratedColumn, type DataSourceOptions } from 'typeorm';
import { AccessToken, AuthSession, BaseUser, JwtRevocation, RefreshToken } from '../../../src';
import { User } from '../app';

export { User };

/** A second user entity, for the "several user entities" case. */
@Entity('admin')
export class Admin extends BaseUser {}

/** A user entity related to another entity of the app: it cannot be described without it. */
@Entity('member')
export class Member extends BaseUser {
  @OneToMany(() => Note, (note) => note.author)
  notes!: Note[];
}

@Entity('note')
export class Note {
  @PrimaryGeneratedColumn()
  id!: number;

  @ManyToOne(() => Member, (member) => member.notes)
  author!: Member;
}

/**
 * The app's DataSource as the command-line tests give it to the tool, from the environment:
 * `CLI_DB_TYPE` (sqlite or postgres), `CLI_DB` (a file or a URL), `CLI_ENTITIES` (which entities
 * it registers: all, no-user, users-only, two-users, related-user).
 */
export function cliDataSourceOptions(env: NodeJS.ProcessEnv = process.env): DataSourceOptions {
  const tokens = [AccessToken, AuthSession, RefreshToken, JwtRevocation];
  const entities = {
    all: [User, ...tokens],
    'no-user': tokens,
    'users-only': [User],
    'two-users': [User, Admin, ...tokens],
    'related-user': [Member, Note, AccessToken],
  }[env.CLI_ENTITIES ?? 'all'];
  if (!entities) throw new Error(`CLI_ENTITIES=${env.CLI_ENTITIES} is not a fixture`);
  if (!env.CLI_DB) throw new Error('CLI_DB is not set');
  return env.CLI_DB_TYPE === 'postgres' ? { type: 'postgres', url: env.CLI_DB, entities } : { type: 'better-sqlite3', database: env.CLI_DB, entities };
}

export function cliDataSource(): DataSource {
  return new DataSource(cliDataSourceOptions());
}
