import { InvalidPasswordError } from '../errors';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

let commonPasswords: Set<string> | undefined;

/** ~49,000 passwords ranked by how often they leak (zxcvbn-ts' list); loaded on first use. */
function isCommonPassword(password: string): boolean {
  if (!commonPasswords) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: { passwords: string[] } };
    commonPasswords = new Set(dictionary.passwords);
  }
  return commonPasswords.has(password.toLowerCase());
}

/**
 * The default policy (NIST SP 800-63B): 8 to 1024 characters, any Unicode, no composition
 * rules; refuse the most common passwords and ones built on the account's email. The password
 * is checked exactly as typed: never trimmed, case-folded or truncated for storage.
 */
export function checkPasswordPolicy(password: unknown, email?: string): void {
  if (typeof password !== 'string') throw new InvalidPasswordError('Password must be a string.');
  const length = [...password].length; // code points, so an emoji counts once
  if (length < MIN_PASSWORD_LENGTH) throw new InvalidPasswordError(`Password must be at least ${MIN_PASSWORD_LENGTH} characters long.`);
  if (length > MAX_PASSWORD_LENGTH) throw new InvalidPasswordError(`Password must be at most ${MAX_PASSWORD_LENGTH} characters long.`);
  if (email) {
    const lower = password.toLowerCase();
    const local = email.toLowerCase().split('@')[0];
    if (lower === email.toLowerCase() || (local.length >= 3 && lower.includes(local))) {
      throw new InvalidPasswordError('Password must not contain the email address.');
    }
  }
  if (isCommonPassword(password)) throw new InvalidPasswordError('Password is too common.');
}
