import * as OTPAuth from 'otpauth';
import type { DataSource } from 'typeorm';
import { TwoFactorSecret } from '../entities/two-factor-secret';
import { MfaCodeInvalidError, MfaNotEnrolledError } from '../errors';
import { assertEntityUsable } from '../typeorm/entity-check';
import type { SecretBox } from './secret-box';

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30 s steps. */
const ALGORITHM = 'SHA1';
const DIGITS = 6;
const PERIOD = 30;
/** Codes of the step before and after now are accepted too (a phone's clock, a slow typist). */
const WINDOW = 1;
/** 160 bits, RFC 4226 §4's recommended secret length. */
const SECRET_BYTES = 20;

/** What `POST /2fa/totp` hands the user to put into an authenticator app. */
export interface TotpEnrolment {
  /** Base32, for typing in by hand. */
  secret: string;
  /** The `otpauth://totp/…` URI the QR code carries. */
  otpauthUrl: string;
  /** That URI as a QR code, an SVG document. */
  qrSvg: string;
}

/**
 * The users' TOTP authenticators in the `TwoFactorSecret` table: enrolment (pending until a code
 * proves the app has the secret), verification with each time step accepted once, and removal.
 * Accepting a code is one conditional UPDATE (`lastUsedStep < step`), so two requests with one
 * code give one success on every database and instance.
 */
export class TotpAuthenticators {
  constructor(
    private readonly dataSource: () => DataSource | undefined,
    private readonly box: SecretBox,
    private readonly issuer: string,
    /** The clock, epoch ms (tests move it). */
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws `AuthConfigurationError` naming the fix when the entity cannot be used. */
  assertUsable(): void {
    assertEntityUsable(this.dataSource(), TwoFactorSecret, 'Auth.configure({ twoFactor })');
  }

  private get repository() {
    const dataSource = this.dataSource();
    assertEntityUsable(dataSource, TwoFactorSecret, 'Auth.configure({ twoFactor })');
    return dataSource.getRepository(TwoFactorSecret);
  }

  async isEnabled(userId: string): Promise<boolean> {
    const row = await this.repository.findOne({ where: { userId }, select: { userId: true, enabledAt: true } });
    return Boolean(row?.enabledAt);
  }

  /** A new secret, pending until `confirm`; an enabled authenticator keeps working until then. */
  async begin(userId: string, label: string): Promise<TotpEnrolment> {
    const secret = new OTPAuth.Secret({ size: SECRET_BYTES });
    const totp = this.totp(secret, label);
    const sealed = this.box.seal(secret.base32, userId);
    const repository = this.repository;
    const updatedAt = new Date(this.now());
    const existing = await repository.findOne({ where: { userId }, select: { userId: true } });
    if (existing) await repository.update({ userId }, { pendingSecret: sealed, updatedAt });
    else await repository.insert({ userId, secret: null, pendingSecret: sealed, enabledAt: null, lastUsedStep: null, updatedAt });
    const otpauthUrl = totp.toString();
    // Loaded here: an app that never enrols anyone never reads the QR code generator.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const QRCode = require('qrcode') as typeof import('qrcode');
    const qrSvg = await QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret: secret.base32, otpauthUrl, qrSvg };
  }

  /**
   * Enables the pending secret when `code` is right for it: 400 `MFA_NOT_ENROLLED` with nothing
   * pending, `MFA_CODE_INVALID` for a wrong code. Answers whether an enabled one was replaced.
   */
  async confirm(userId: string, code: string): Promise<{ replaced: boolean }> {
    const repository = this.repository;
    const row = await repository.findOneBy({ userId });
    if (!row?.pendingSecret) throw new MfaNotEnrolledError('No TOTP enrolment is pending: start one with POST /2fa/totp.');
    const step = this.matchingStep(row.pendingSecret, userId, code);
    if (step === undefined) throw new MfaCodeInvalidError();
    // Only the enrolment read above: a concurrent confirm, or a newer enrolment, wins instead.
    const result = await repository
      .createQueryBuilder()
      .update(TwoFactorSecret)
      .set({ secret: row.pendingSecret, pendingSecret: null, enabledAt: new Date(this.now()), lastUsedStep: step, updatedAt: new Date(this.now()) })
      .where('"userId" = :userId AND "pendingSecret" = :pending', { userId, pending: row.pendingSecret })
      .execute();
    if (result.affected !== 1) throw new MfaCodeInvalidError();
    return { replaced: row.enabledAt !== null };
  }

  /** Accepts `code` once for the enabled authenticator; throws 400 `MFA_CODE_INVALID` otherwise. */
  async verify(userId: string, code: string): Promise<void> {
    const repository = this.repository;
    const row = await repository.findOneBy({ userId });
    if (!row?.secret || !row.enabledAt) throw new MfaNotEnrolledError('TOTP is not enabled for this account.');
    const step = this.matchingStep(row.secret, userId, code);
    if (step === undefined) throw new MfaCodeInvalidError();
    // One success per step: the same code again (a replay, or a concurrent twin) matches no row.
    const result = await repository
      .createQueryBuilder()
      .update(TwoFactorSecret)
      .set({ lastUsedStep: step, updatedAt: new Date(this.now()) })
      .where('"userId" = :userId AND "enabledAt" IS NOT NULL AND ("lastUsedStep" IS NULL OR "lastUsedStep" < :step)', { userId, step })
      .execute();
    if (result.affected !== 1) throw new MfaCodeInvalidError();
  }

  /** Removes the authenticator (enabled and pending). Answers whether one was enabled. */
  async remove(userId: string): Promise<boolean> {
    const enabled = await this.isEnabled(userId);
    await this.repository.delete({ userId });
    return enabled;
  }

  /** The time step `code` is right for (now ± the window), or undefined. */
  private matchingStep(sealed: string, userId: string, code: string): number | undefined {
    const normalised = code.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(normalised)) return undefined;
    const base32 = this.box.open(sealed, userId);
    // A secret that does not open (the app's secret changed, a row copied from another user) proves nothing.
    if (base32 === undefined) return undefined;
    const totp = this.totp(OTPAuth.Secret.fromBase32(base32), userId);
    const timestamp = this.now();
    const delta = totp.validate({ token: normalised, timestamp, window: WINDOW });
    return delta === null ? undefined : totp.counter({ timestamp }) + delta;
  }

  private totp(secret: OTPAuth.Secret, label: string): OTPAuth.TOTP {
    return new OTPAuth.TOTP({ issuer: this.issuer, label, algorithm: ALGORITHM, digits: DIGITS, period: PERIOD, secret });
  }
}
