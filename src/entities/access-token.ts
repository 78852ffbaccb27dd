import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMilliseconds } from '../typeorm/epoch-milliseconds';

/**
 * A token of the database strategy. Only the SHA-256 digest of the token is stored, so a leaked
 * table or backup yields nothing that authenticates. Register it with your DataSource.
 */
@Entity('access_token')
export class AccessToken {
  /** Hex SHA-256 of the token the client holds. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  tokenHash!: string;

  @Index()
  @Column({ type: 'varchar', length: 64 })
  userId!: string;

  /** Scopes granted to this token (a subset of the user's at issue time). */
  @Column({ type: 'simple-json' })
  scopes!: string[];

  @CreateDateColumn()
  createdAt!: Date;

  /** Null for a token without expiry (lifetimeSeconds: null). */
  @Index()
  @Column({ type: 'bigint', nullable: true, transformer: epochMilliseconds })
  expiresAt!: Date | null;

  /** The session (a login with refresh tokens) this token belongs to; null for other tokens. */
  @Index()
  @Column({ type: 'varchar', length: 36, nullable: true })
  sessionId!: string | null;

  /** When the user last really signed in for this token (kept across refreshes); null: no sign-in. */
  @Column({ type: 'bigint', nullable: true, transformer: epochMilliseconds })
  authTime!: Date | null;

  /** How that sign-in was made (`pwd`, `fed`, …); null with `authTime`. */
  @Column({ type: 'simple-json', nullable: true })
  amr!: string[] | null;
}
