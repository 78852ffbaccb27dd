import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMilliseconds } from '../typeorm/epoch-milliseconds';

/**
 * One single-use recovery code of a user with a second factor, by SHA-256 digest (the code is
 * shown once, at `POST /2fa/totp/confirm` or `POST /2fa/recovery-codes`, and never stored).
 */
@Entity('recovery_code')
@Index(['userId', 'digest'], { unique: true })
export class RecoveryCode {
  /** A random uuid. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** Leads the unique (userId, digest) index, which also serves the lookups by user. */
  @Column({ type: 'varchar', length: 64 })
  userId!: string;

  /** Hex SHA-256 of the normalised code. */
  @Column({ type: 'varchar', length: 64 })
  digest!: string;

  @Column({ type: 'bigint', transformer: epochMilliseconds })
  createdAt!: Date;

  /** When it was used; a used code is refused. */
  @Column({ type: 'bigint', nullable: true, transformer: epochMilliseconds })
  usedAt!: Date | null;
}
