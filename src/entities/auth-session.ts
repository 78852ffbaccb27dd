import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMilliseconds } from '../typeorm/epoch-milliseconds';

/**
 * One login with refresh tokens (a session): who, through which backend, from where, until when,
 * and which refresh token is live. Register it, with `RefreshToken`, with your DataSource when a
 * backend has `refresh` on and keeps its sessions in the database.
 */
@Entity('auth_session')
export class AuthSession {
  /** A random uuid; access tokens of the session carry it (JWT `sid`). */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index()
  @Column({ type: 'varchar', length: 64 })
  userId!: string;

  /** The backend the session logged in through. */
  @Column({ type: 'varchar', length: 100 })
  backend!: string;

  /** Scopes granted at login: a refresh may narrow them for one access token, never widen them. */
  @Column({ type: 'simple-json' })
  scopes!: string[];

  @Column({ type: 'bigint', transformer: epochMilliseconds })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMilliseconds })
  lastUsedAt!: Date;

  /** Absolute: rotation never extends it. */
  @Index()
  @Column({ type: 'bigint', transformer: epochMilliseconds })
  expiresAt!: Date;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  /** SHA-256 hex of the one live refresh token. */
  @Column({ type: 'varchar', length: 64 })
  refreshTokenHash!: string;

  /** SHA-256 hex of the token rotated last (it may rotate once more within the reuse interval). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  previousTokenHash!: string | null;

  /** When `previousTokenHash` was rotated. */
  @Column({ type: 'bigint', nullable: true, transformer: epochMilliseconds })
  rotatedAt!: Date | null;

  /** When the user last really signed in for this session; refreshes keep it. Null for sessions older than the column. */
  @Column({ type: 'bigint', nullable: true, transformer: epochMilliseconds })
  authTime!: Date | null;

  /** How that sign-in was made (`pwd`, `fed`, …). */
  @Column({ type: 'simple-json', nullable: true })
  amr!: string[] | null;
}
