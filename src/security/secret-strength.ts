import { AuthConfigurationError } from '../errors';

/** The bits of a signing secret below which its tokens can be forged by an offline search. */
export const MIN_SECRET_BITS = 256;

/** What every refusal ends with: the one command that makes a good secret. */
export const SECRET_HINT = `use at least 32 random bytes (e.g. node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")`;

/** Fewer distinct characters than this cannot come from a random generator (64 random hex digits show ~16). */
const MIN_DISTINCT_CHARACTERS = 10;

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Lower case, upper case, digits, anything else. */
const CLASSES = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];

/**
 * Why `secret` is too weak to sign tokens, or undefined when it is not. Counting characters is not
 * enough: `'a'.repeat(32)` is 32 bytes and no secret at all. A string refused here is short, one
 * unit repeated, made of few distinct characters or of one character class, or, written in hex or
 * base64, decodes to fewer than 256 bits.
 */
export function weakSecretReason(secret: string): string | undefined {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BITS / 8) return `is ${bytes} bytes`;
  if (/^(.{1,16}?)\1+$/s.test(secret)) return 'repeats one short sequence';
  const distinct = new Set(secret).size;
  if (distinct < MIN_DISTINCT_CHARACTERS) return `has only ${distinct} distinct characters`;
  if (CLASSES.filter((c) => c.test(secret)).length < 2) return 'uses one class of characters only (letters, digits or symbols)';
  const bits = encodedBits(secret);
  if (bits !== undefined && bits < MIN_SECRET_BITS) return `decodes to ${bits} bits (it reads as ${HEX.test(secret) ? 'hex' : 'base64'})`;
  return undefined;
}

/** The bits a hex or base64(url) string carries once decoded; undefined for other text. */
function encodedBits(secret: string): number | undefined {
  if (HEX.test(secret)) return secret.length * 4;
  if (BASE64.test(secret) || BASE64URL.test(secret)) return secret.replace(/=+$/, '').length * 6;
  return undefined;
}

/** Throws an `AuthConfigurationError` naming `who`, the reason and the command that makes a good secret. */
export function assertStrongSecret(secret: unknown, who: string): asserts secret is string {
  if (typeof secret !== 'string') throw new AuthConfigurationError(`${who} must be a string; ${SECRET_HINT}.`);
  const reason = weakSecretReason(secret);
  if (reason) throw new AuthConfigurationError(`${who} ${reason}: too weak to sign tokens; ${SECRET_HINT}.`);
}
