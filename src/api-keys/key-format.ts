import { hash, randomInt, timingSafeEqual } from 'crypto';
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
  private readonly pattern: RegExp;
  readonly length: number;

  constructor(readonly prefix: string) {
    this.pattern = new RegExp(`^${prefix}_([0-9A-Za-z]{${RANDOM_LENGTH}})_([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`);
    this.length = prefix.length + 1 + RANDOM_LENGTH + 1 + CHECKSUM_LENGTH;
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
    if (key.length !== this.length) return false;
    const match = this.pattern.exec(key);
    if (!match) return false;
    // Not secret (anyone can compute a CRC), but compared in constant time all the same.
    return timingSafeEqual(Buffer.from(checksumOf(match[1])), Buffer.from(match[2]));
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
