import { InvalidPasswordError } from '../errors';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

let commonPasswords: Set<string> | undefined;

/** ~49,000 most leaked passwords (zxcvbn-ts' list, lower case); loaded on first use. `password` is folded. */
function isCommonPassword(password: string): boolean {
  if (!commonPasswords) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: { passwords: string[] } };
    commonPasswords = new Set(dictionary.passwords);
  }
  return commonPasswords.has(password);
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
  const folded = fold(password);
  if (typeof email === 'string' && email.length > 0) {
    const address = fold(email);
    const at = address.lastIndexOf('@');
    const local = at > 0 ? address.slice(0, at) : address;
    // A one- or two-letter local part ("jo@x.io") would ban ordinary words, so only the whole
    // address is refused then; a longer local part is refused anywhere in the password.
    if (folded === address) throw new InvalidPasswordError('Password must not be the email address.');
    if (local.length >= 3 && folded.includes(local)) {
      throw new InvalidPasswordError('Password must not contain the part of the email address before the "@".');
    }
  }
  if (isCommonPassword(folded)) throw new InvalidPasswordError('Password is too common.');
}

/** For comparisons only (the password is hashed exactly as typed): compatibility form, lower case. */
function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}
