import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, type ValueTransformer } from 'typeorm';

/**
 * Expiry is stored as epoch milliseconds: one absolute instant on every driver. A `Date` column
 * is `timestamp without time zone` on PostgreSQL, which node-pg writes and reads in the Node
 * process's local zone, so app instances in different zones disagreed on when a token expires
 * (a token from an instance in New York was already expired for one in Tokyo).
 */
const epochMilliseconds: ValueTransformer = {
  to: (value: Date | null | undefined) => (value instanceof Date ? value.getTime() : value),
  from: (value: string | number | null | undefined) => (value === null || value === undefined ? null : new Date(Number(value))),
};

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
}
