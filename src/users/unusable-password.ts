import { randomBytes } from 'crypto';

/**
 * The stored "hash" of a user who has no password (created by a social login). It starts with
 * `!`, which no password hash format starts with, so no password ever verifies against it; a
 * password reset replaces it.
 */
const UNUSABLE_PREFIX = '!';

export function unusablePasswordHash(): string {
  return `${UNUSABLE_PREFIX}${randomBytes(24).toString('base64url')}`;
}

export function isUnusablePasswordHash(hash: string): boolean {
  return hash.startsWith(UNUSABLE_PREFIX);
}
