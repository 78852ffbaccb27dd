import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMilliseconds } from '../typeorm/epoch-milliseconds';

/**
 * An API key (personal access token) of `ApiKeyStrategy`'s TypeORM store. Only the SHA-256 digest
 * of the key is stored, with its first characters for the list: a leaked table or backup yields
 * nothing that authenticates. Register it with your DataSource when you use API keys.
 */
@Entity('api_key')
export class ApiKey {
  /** Hex SHA-256 of the key the client holds: what each request looks the key up by. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  keyHash!: string;

  /** A random uuid: how the owner names the key (`DELETE /api-keys/:id`), and what its rate limit counts by. */
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 36 })
  id!: string;

  /** The owner. */
  @Index()
  @Column({ type: 'varchar', length: 64 })
  userId!: string;

  /** The owner's label for it ("CI deploy"). */
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** The prefix and first characters of the key (`rca_Ab3x`), so its owner can tell keys apart. */
  @Column({ type: 'varchar', length: 32 })
  start!: string;

  /** The scopes the key may use: at each request, only those its owner still has. */
  @Column({ type: 'simple-json' })
  scopes!: string[];

  /** CIDR ranges the key may be used from; null: anywhere. */
  @Column({ type: 'simple-json', nullable: true })
  allowedIps!: string[] | null;

  @Column({ type: 'bigint', transformer: epochMilliseconds })
  createdAt!: Date;

  /** Null: the key does not expire. */
  @Index()
  @Column({ type: 'bigint', nullable: true, transformer: epochMilliseconds })
  expiresAt!: Date | null;

  /** Written at most once a minute per key, never on every request. */
  @Column({ type: 'bigint', nullable: true, transformer: epochMilliseconds })
  lastUsedAt!: Date | null;
}
