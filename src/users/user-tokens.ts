import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'crypto';
import { assertStrongSecret } from '../security/secret-strength';
import jwt from 'jsonwebtoken';
import { MAX_TOKEN_LENGTH } from '../strategies/strategy';
import { lifetimeOption } from '../options';

export const VERIFY_AUDIENCE = 'routing-controllers-auth:verify';
export const RESET_AUDIENCE = 'routing-controllers-auth:reset';

/**
 * The single-purpose tokens emailed to users: verify-email and reset-password JWTs, HS256 with
 * the app's `secret`, each with its own audience so one can never be used as the other (or as an
 * access token). A reset token carries an HMAC of the current password hash, so it dies once the
 * password changes; a verify token carries the email, so it dies once the email changes.
 */
export class UserTokens {
  private readonly key: KeyObject;

  readonly verifyLifetimeSeconds: number;
  readonly resetLifetimeSeconds: number;

  constructor(secret: string, verifyLifetimeSeconds?: number, resetLifetimeSeconds?: number) {
    this.verifyLifetimeSeconds = lifetimeOption(verifyLifetimeSeconds, 'Auth.configure: verifyTokenLifetimeSeconds', false) as number;
    this.resetLifetimeSeconds = lifetimeOption(resetLifetimeSeconds, 'Auth.configure: resetTokenLifetimeSeconds', false) as number;
    assertStrongSecret(secret, 'Auth.configure: `secret` (it signs reset and verify tokens)');
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  issueVerifyToken(user: { id: string; email: string }): string {
    return this.sign({ sub: user.id, email: user.email }, VERIFY_AUDIENCE, this.verifyLifetimeSeconds);
  }

  readVerifyToken(token: unknown): { userId: string; email: string } | null {
    const claims = this.verify(token, VERIFY_AUDIENCE);
    if (!claims || typeof claims.email !== 'string') return null;
    return { userId: claims.sub as string, email: claims.email };
  }

  issueResetToken(user: { id: string; hashedPassword: string }): string {
    return this.sign({ sub: user.id, pwd: this.fingerprint(user.hashedPassword) }, RESET_AUDIENCE, this.resetLifetimeSeconds);
  }

  readResetToken(token: unknown): { userId: string; passwordFingerprint: string } | null {
    const claims = this.verify(token, RESET_AUDIENCE);
    if (!claims || typeof claims.pwd !== 'string') return null;
    return { userId: claims.sub as string, passwordFingerprint: claims.pwd };
  }

  /** Constant-time: does this token's fingerprint match the password hash stored now? */
  fingerprintMatches(fingerprint: string, hashedPassword: string): boolean {
    const expected = Buffer.from(this.fingerprint(hashedPassword));
    const given = Buffer.from(fingerprint);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private fingerprint(hashedPassword: string): string {
    return createHmac('sha256', this.key).update(hashedPassword).digest('base64url');
  }

  private sign(claims: Record<string, unknown>, audience: string, lifetimeSeconds: number): string {
    return jwt.sign(claims, this.key, { algorithm: 'HS256', audience, expiresIn: lifetimeSeconds });
  }

  private verify(token: unknown, audience: string): jwt.JwtPayload | null {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
    try {
      const claims = jwt.verify(token, this.key, { algorithms: ['HS256'], audience });
      if (typeof claims !== 'object' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return null;
      return claims;
    } catch {
      return null;
    }
  }
}
