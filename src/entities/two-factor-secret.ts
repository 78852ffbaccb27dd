import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMilliseconds } from '../typeorm/epoch-milliseconds';

/**
 * A user's TOTP authenticator (RFC 6238): the shared secret, sealed with AES-256-GCM under a key
 * derived from the app's `secret` (a stolen database dump alone yields no codes), and the last
 * time step a code was accepted for, so a code is accepted once. Register it, with
 * `RecoveryCode`, with your DataSource when `Auth.configure({ twoFactor })` is set.
 */
@Entity('two_factor_secret')
export class TwoFactorSecret {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  userId!: string;

  /** The sealed secret of the enabled authenticator; null until one is confirmed. */
  @Column({ type: 'text', nullable: true })
  secret!: string | null;

  /** The sealed secret of an enrolment awaiting `POST /2fa/totp/confirm`. */
  @Column({ type: 'text', nullable: true })
  pendingSecret!: string | null;

  /** When the authenticator was confirmed; null: not enabled. */
  @Column({ type: 'bigint', nullable: true, transformer: epochMilliseconds })
  enabledAt!: Date | null;

  /** The RFC 6238 time step of the last accepted code: a code of this step or an earlier one is refused. */
  @Column({ type: 'integer', nullable: true })
  lastUsedStep!: number | null;

  @Column({ type: 'bigint', transformer: epochMilliseconds })
  updatedAt!: Date;
}
