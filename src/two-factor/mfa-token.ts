import { digestToken, generateOpaqueToken, isWellFormedOpaqueToken } from '../strategies/opaque-token';
import type { PendingLogin } from './pending-logins';
import type { TwoFactorSection } from './two-factor-section';

/**
 * Starts a pending login: a fresh `mfa_token` (32 random bytes) for the client; only its SHA-256
 * digest is kept, with the login, for `pendingLifetimeSeconds`.
 */
export async function issueMfaToken(
  section: Pick<TwoFactorSection<any>, 'pending' | 'pendingLifetimeSeconds'>,
  login: Omit<PendingLogin, 'expiresAt'>,
): Promise<string> {
  const token = generateOpaqueToken();
  const expiresAt = Date.now() + section.pendingLifetimeSeconds * 1000;
  await section.pending.save(digestToken(token), { ...login, expiresAt }, section.pendingLifetimeSeconds);
  return token;
}

/** The store key of a presented `mfa_token`, or undefined when it cannot be one of ours (nothing is looked up). */
export function mfaTokenDigest(token: unknown): string | undefined {
  return typeof token === 'string' && isWellFormedOpaqueToken(token) ? digestToken(token) : undefined;
}
