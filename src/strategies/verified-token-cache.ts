import { hash } from 'crypto';
import { LRUCache } from 'lru-cache';
import type { TokenGrant } from './strategy';

/** Default number of verified JWTs remembered per strategy. */
export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * Remembers the outcome of verifying a JWT's signature and claims, so a client that sends the
 * same token on every request pays for one HMAC/RSA verification, not one per request (the
 * verification is most of the library's cost on the JWT route). What is cached is a pure
 * function of the token and the configured keys; time is re-checked on every hit (`exp`), and
 * revocation is never cached (the strategy asks its store each time).
 *
 * Entries are keyed by the token's SHA-256 digest, never the token: a lookup can leak nothing
 * about a cached token but its digest. Only tokens that verified are stored, so a flood of
 * forged tokens cannot evict anything; the LRU bound caps memory.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, TokenGrant>;

  constructor(maxEntries: number) {
    this.entries = new LRUCache({ max: maxEntries });
  }

  /** The grant of a token verified earlier and not yet expired; undefined otherwise. */
  get(token: string): TokenGrant | undefined {
    const key = digest(token);
    const grant = this.entries.get(key);
    if (grant && !isExpired(grant)) return grant;
    if (grant) this.entries.delete(key);
    return undefined;
  }

  /** Stores a verified grant; frozen, because every later request shares it. */
  set(token: string, grant: TokenGrant): TokenGrant {
    Object.freeze(grant.scopes);
    const frozen = Object.freeze(grant);
    this.entries.set(digest(token), frozen);
    return frozen;
  }

  get size(): number {
    return this.entries.size;
  }
}

function digest(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** jsonwebtoken's own rule: expired once the current whole second reaches `exp`. */
function isExpired(grant: TokenGrant): boolean {
  return Math.floor(Date.now() / 1000) >= grant.expiresAt!.getTime() / 1000;
}
