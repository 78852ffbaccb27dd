import { Column, Entity, Index, PrimaryGeneratedColumn, type ValueTransformer } from 'typeorm';
import { epochMilliseconds } from '../typeorm/epoch-milliseconds';

/** A WebAuthn sign counter is a 32-bit unsigned integer: a bigint column, read back as a number (PostgreSQL answers a string). */
const signCount: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | number | null) => (value === null ? 0 : Number(value)),
};

/**
 * A passkey (WebAuthn credential) of a user: what a later assertion is checked against. It holds
 * only the credential's public key, never a secret. Register it with your DataSource when you use
 * `Auth.configure({ passkeys })`.
 */
@Entity('passkey')
export class Passkey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The credential id, base64url (at most 1023 bytes, so at most 1364 characters). */
  @Index('IDX_passkey_credential_id', { unique: true })
  @Column({ type: 'varchar', length: 1400 })
  credentialId!: string;

  /** The credential's COSE public key, base64url. */
  @Column({ type: 'text' })
  publicKey!: string;

  /** The authenticator's sign counter at the last use (0 for authenticators that keep none). */
  @Column({ type: 'bigint', default: 0, transformer: signCount })
  counter!: number;

  /** How the browser may reach the authenticator (`internal`, `hybrid`, `usb`, …), as it reported them. */
  @Column({ type: 'simple-json', nullable: true })
  transports!: string[] | null;

  /** The user's label for it ("Work laptop"). */
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** `singleDevice` (bound to one authenticator) or `multiDevice` (may be synced to others). */
  @Column({ type: 'varchar', length: 16 })
  deviceType!: 'singleDevice' | 'multiDevice';

  /** Whether the authenticator reported the credential backed up (synced) at the last use. */
  @Column({ type: 'boolean', default: false })
  backedUp!: boolean;

  /** The authenticator model's AAGUID (all zeros when it does not say). */
  @Column({ type: 'varchar', length: 36, nullable: true })
  aaguid!: string | null;

  /** The owner's id. */
  @Index()
  @Column({ type: 'varchar', length: 64 })
  userId!: string;

  @Column({ type: 'bigint', transformer: epochMilliseconds })
  createdAt!: Date;

  @Column({ type: 'bigint', nullable: true, transformer: epochMilliseconds })
  lastUsedAt!: Date | null;
}
