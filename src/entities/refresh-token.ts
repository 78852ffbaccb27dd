import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMilliseconds } from '../typeorm/epoch-milliseconds';

/**
 * Every refresh token a session was ever given, by SHA-256 digest (never the token itself), so a
 * token presented again after its rotation is recognised as reuse and ends its session. Which one
 * is live is the session's to say (`AuthSession.refreshTokenHash`).
 */
@Entity('refresh_token')
export class RefreshToken {
  /** Hex SHA-256 of the token the client holds. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  tokenHash!: string;

  @Index()
  @Column({ type: 'varchar', length: 36 })
  sessionId!: string;

  @Column({ type: 'bigint', transformer: epochMilliseconds })
  createdAt!: Date;

  /** The session's absolute expiry: the row can be purged after it. */
  @Index()
  @Column({ type: 'bigint', transformer: epochMilliseconds })
  expiresAt!: Date;
}
