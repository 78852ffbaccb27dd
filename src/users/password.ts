import argon2 from 'argon2';
import bcrypt from 'bcryptjs';
import { availableParallelism } from 'os';
import { ConcurrencyLimit } from './concurrency-limit';

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

export interface Argon2HasherOptions {
  /** KiB; default 19456 (19 MiB). */
  memoryCost?: number;
  /** Passes; default 2. */
  timeCost?: number;
  /** Lanes; default 1. */
  parallelism?: number;
  /**
   * How many hash operations (hash, verify, burn) may run at once; the others wait in arrival
   * order. Default: one less than the cores this process may use, at least 1
   * (`Math.max(1, os.availableParallelism() - 1)`; 1 when the process is pinned to one core).
   *
   * Why: argon2 runs on libuv's threadpool (4 threads by default) and each hash keeps a core busy
   * for ~20-30 ms. Unbounded, a burst of logins runs 4 hashes beside the event loop, which then
   * gets a fifth of a lone core and every other request waits. Bounded, logins queue for the
   * hasher while other requests keep a core (and the threadpool stays free for file and DNS work).
   * Queued logins keep their timing equalisation: an unknown email still waits for, and pays, one
   * verification. The queue itself is not bounded; the login rate limits are what cap it.
   */
  concurrency?: number;
}

/** The default `concurrency`: all cores but one, for the event loop; 1 on a single core. */
export function defaultHashConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class Argon2PasswordHasher implements PasswordHasher {
  private dummyHash: Promise<string> | undefined;
  private readonly options: { memoryCost: number; timeCost: number; parallelism: number };
  private readonly limit: ConcurrencyLimit;

  constructor(options: Argon2HasherOptions = {}) {
    const { concurrency = defaultHashConcurrency(), ...costs } = options;
    this.options = {
      memoryCost: costs.memoryCost ?? DEFAULT_ARGON2_OPTIONS.memoryCost,
      timeCost: costs.timeCost ?? DEFAULT_ARGON2_OPTIONS.timeCost,
      parallelism: costs.parallelism ?? DEFAULT_ARGON2_OPTIONS.parallelism,
    };
    this.limit = new ConcurrencyLimit(concurrency);
  }

  /** The most hash operations this hasher runs at once. */
  get concurrency(): number {
    return this.limit.limit;
  }

  hash(password: string): Promise<string> {
    return this.limit.run(() => argon2.hash(password, { ...this.options, type: argon2.argon2id }));
  }

  verify(password: string, hashed: string): Promise<{ valid: boolean; needsRehash: boolean }> {
    return this.limit.run(() => this.verifyNow(password, hashed));
  }

  private async verifyNow(password: string, hashed: string): Promise<{ valid: boolean; needsRehash: boolean }> {
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

  /** Waits for the dummy hash (made once, in the queue like any hash), then queues one verification: never holds two places. */
  async burn(password: string): Promise<void> {
    this.dummyHash ??= this.hash('routing-controllers-auth timing equaliser');
    await this.verify(password, await this.dummyHash);
  }
}
