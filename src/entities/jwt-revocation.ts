import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMilliseconds } from '../typeorm/epoch-milliseconds';

/**
 * A JWT revocation for `DatabaseRevocationStore`: either one token (`jti:<jti>`, kept until the
 * token's expiry) or a user's cut-off (`user:<id>`, tokens issued at or before `cutoffMs` are
 * invalid). Register it with your DataSource when you use that store.
 */
@Entity('jwt_revocation')
export class JwtRevocation {
  @PrimaryColumn({ type: 'varchar', length: 160 })
  key!: string;

  /** For a user's cut-off: milliseconds since the epoch, as text (portable across drivers). */
  @Column({ type: 'varchar', length: 20, nullable: true })
  cutoffMs!: string | null;

  /** For a token: when the entry can be purged (the token has expired by then). */
  @Index()
  @Column({ type: 'bigint', nullable: true, transformer: epochMilliseconds })
  expiresAt!: Date | null;
}
