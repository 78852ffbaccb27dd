import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A provider account (a Google, GitHub, … identity) linked to a user. Social login finds the
 * user through this link, never through the email alone. Register it with your DataSource.
 */
@Entity('oauth_account')
@Index('IDX_oauth_account_provider_account', ['providerName', 'accountId'], { unique: true })
export class OAuthAccount {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The provider's `name` (e.g. `google`, `github`). */
  @Column({ type: 'varchar', length: 100 })
  providerName!: string;

  /** The provider's stable id for the account (OpenID Connect `sub`, GitHub's numeric user id). */
  @Column({ type: 'varchar', length: 255 })
  accountId!: string;

  /** The email the provider reported at the last sign-in, if any. */
  @Column({ type: 'varchar', length: 320, nullable: true })
  accountEmail!: string | null;

  /** The linked user's id. */
  @Index()
  @Column({ type: 'varchar', length: 64 })
  userId!: string;

  @CreateDateColumn()
  createdAt!: Date;

  /**
   * True when the link was made on proof of the user's email: the provider verified the email
   * the user has, or the user's email was verified when they linked it. A false link lasts only
   * until someone proves the address (email verification or password reset removes it). Links
   * made before this column existed are false: nothing tells how they were made.
   */
  @Column({ type: 'boolean', default: false })
  emailVerified!: boolean;
}
