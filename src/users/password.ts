import argon2 from 'argon2';
import bcrypt from 'bcryptjs';

/** Hashes and verifies passwords. argon2id for new hashes; bcrypt hashes still verify. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** `needsRehash` is true when the stored hash should be replaced by `hash(password)`. */
  verify(password: string, hashed: string): Promise<{ valid: boolean; needsRehash: boolean }>;
  /** Spends the time of one verification, so an unknown account answers as slowly as a wrong password. */
  burn(password: string): Promise<void>;
}

/** OWASP's argon2id baseline (19 MiB, t=2, p=1): ~20-30 ms per hash on a server core. */
export const DEFAULT_ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

const BCRYPT_PREFIX = /^\$2[abxy]?\$/;

export class Argon2PasswordHasher implements PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly options: { memoryCost: number; timeCost: number; parallelism: number } = DEFAULT_ARGON2_OPTIONS) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { ...this.options, type: argon2.argon2id });
  }

  async verify(password: string, hashed: string): Promise<{ valid: boolean; needsRehash: boolean }> {
    if (BCRYPT_PREFIX.test(hashed)) {
      // bcrypt reads only the first 72 bytes: a longer password matching on its prefix is a
      // different password, so refuse it rather than accept a truncated comparison.
      if (Buffer.byteLength(password, 'utf8') > 72) return { valid: false, needsRehash: false };
      const valid = await bcrypt.compare(password, hashed);
      return { valid, needsRehash: valid };
    }
    if (!hashed.startsWith('$argon2')) return { valid: false, needsRehash: false };
    let valid: boolean;
    try {
      valid = await argon2.verify(hashed, password);
    } catch {
      return { valid: false, needsRehash: false }; // a corrupt stored hash never authenticates
    }
    return { valid, needsRehash: valid && argon2.needsRehash(hashed, { ...this.options }) };
  }

  async burn(password: string): Promise<void> {
    this.dummyHash ??= this.hash('routing-controllers-auth timing equaliser');
    await this.verify(password, await this.dummyHash);
  }
}
