import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import { InvalidPasswordError } from '../errors';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

let commonPasswords: string | undefined;

/**
 * ~49,000 most leaked passwords (zxcvbn-ts' list, lower case), loaded on first use. `password` is folded.
 * Kept as the list's own comma-separated text (~0.4 MB) and searched in it (~0.3 ms, once per
 * registration or password change, beside a ~25 ms argon2 hash), rather than as a Set of 49,000
 * strings (~3.5 MB held for the life of the process).
 */
function isCommonPassword(password: string): boolean {
  commonPasswords ??= `,${loadCommonPasswords()},`;
  return !password.includes(',') && commonPasswords.includes(`,${password},`);
}

/**
 * The list's text: `passwords.json.js` is `var passwords = "123456,password,…".split(',');`. Read
 * as a file, so the module (its array of 49,000 strings) is never loaded; any other shape (a
 * different version of the package) falls back to the module's array.
 */
export function loadCommonPasswords(): string {
  let source = '';
  try {
    source = readFileSync(join(dirname(require.resolve('@zxcvbn-ts/language-common')), 'passwords.json.js'), 'utf8');
  } catch {
    // Another layout of the package: its module below.
  }
  const first = source.indexOf('"');
  const last = source.lastIndexOf('"');
  const list = first >= 0 && last > first ? source.slice(first + 1, last) : '';
  if (/^[^"\\\n]+$/.test(list) && source.slice(last).startsWith(`".split(',')`)) return list;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: { passwords: string[] } };
  return dictionary.passwords.join(',');
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
