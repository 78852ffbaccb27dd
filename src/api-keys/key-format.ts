import { hash, randomInt } from 'crypto';
import { str as crc32 } from 'crc-32';
import { AuthConfigurationError } from '../errors';

/** The alphabet of a key's random part and checksum: letters and digits, so a key survives a double-click and a URL. */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters carry 43 × log2(62) ≈ 256.03 bits. */
export const RANDOM_LENGTH = 43;
/** 62^6 > 2^32: every CRC32 fits in 6 characters. */
export const CHECKSUM_LENGTH = 6;
/** How many random characters are kept (after the prefix) to tell keys apart in a list. */
const SHOWN_LENGTH = 4;
export const DEFAULT_API_KEY_PREFIX = 'rca';
const PREFIX = /^[a-z][a-z0-9]{1,15}$/;
const ALPHANUMERIC = /^[0-9A-Za-z]+$/;
const UNDERSCORE = 95;

/** A 32-bit unsigned number as 6 base62 characters, zero-padded. */
function base62(value: number): string {
  let text = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    text = BASE62[value % 62] + text;
    value = Math.floor(value / 62);
  }
  return text;
}

function checksumOf(random: string): string {
  return base62(crc32(random) >>> 0);
}

/** Throws unless `prefix` is 2–16 lower-case letters and digits, starting with a letter (an underscore would break the format). */
export function checkedPrefix(prefix: string | undefined): string {
  const value = prefix ?? DEFAULT_API_KEY_PREFIX;
  if (typeof value !== 'string' || !PREFIX.test(value)) {
    throw new AuthConfigurationError('ApiKeyStrategy: `prefix` must be 2–16 lower-case letters or digits, starting with a letter (e.g. "rca").');
  }
  return value;
}

/**
 * The key format, GitHub's: `<prefix>_<43 base62 random characters>_<base62 CRC32 of the random part>`.
 * The prefix lets secret scanners find leaked keys; the checksum lets them (and this library) refuse
 * a mistyped or made-up key without a lookup. The random part is what makes a key unguessable.
 */
export class ApiKeyFormat {
  readonly length: number;
  /** Where the random part starts (after `<prefix>_`) and where the checksum starts. */
  private readonly randomAt: number;
  private readonly checksumAt: number;

  constructor(readonly prefix: string) {
    this.randomAt = prefix.length + 1;
    this.checksumAt = this.randomAt + RANDOM_LENGTH + 1;
    this.length = this.checksumAt + CHECKSUM_LENGTH;
  }

  /** A new key: 256 bits from the system's CSPRNG (`randomInt` is unbiased), and its checksum. */
  generate(): string {
    let random = '';
    for (let i = 0; i < RANDOM_LENGTH; i++) random += BASE62[randomInt(62)];
    return `${this.prefix}_${random}_${checksumOf(random)}`;
  }

  /** True when `text` starts like one of this format's keys (a token for another backend does not). */
  claims(text: string): boolean {
    return text.startsWith(`${this.prefix}_`);
  }

  /** True for a key of this format whose checksum matches: anything else is refused before any lookup. */
  isWellFormed(key: string): boolean {
    // On every request: positions and one character class, no regular expression with captures.
    if (key.length !== this.length || !this.claims(key) || key.charCodeAt(this.checksumAt - 1) !== UNDERSCORE) return false;
    const random = key.slice(this.randomAt, this.checksumAt - 1);
    const checksum = key.slice(this.checksumAt);
    // The checksum is no secret (anyone can compute a CRC32): a plain comparison.
    return ALPHANUMERIC.test(random) && ALPHANUMERIC.test(checksum) && checksumOf(random) === checksum;
  }

  /** What the list shows of a key: its prefix and first characters, e.g. `rca_Ab3x`. */
  shown(key: string): string {
    return key.slice(0, this.prefix.length + 1 + SHOWN_LENGTH);
  }
}

/** The only form in which a key is stored: its SHA-256, hex. */
export function digestApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}
