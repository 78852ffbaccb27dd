import { hash } from 'crypto';
import { LRUCache } from 'lru-cache';
import type { TokenGrant, TokenRejection } from './strategy';

/** A verification's outcome: a refusal, or a grant and whether it may be remembered. */
export type Verification = TokenRejection | { grant: TokenGrant; cacheable: boolean };

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

  /**
   * The grant of a token verified earlier and not yet expired; otherwise `verify`'s answer, kept
   * when it is a grant that may be kept (frozen, since every later request shares it).
   */
  verifyOnce(token: string, verify: () => Verification): TokenGrant | TokenRejection {
    const key = digest(token);
    const known = this.entries.get(key);
    if (known && !isExpired(known)) return known;
    if (known) this.entries.delete(key);
    const result = verify();
    if ('rejected' in result) return result;
    if (!result.cacheable) return result.grant;
    Object.freeze(result.grant.scopes);
    const frozen = Object.freeze(result.grant);
    this.entries.set(key, frozen);
    return frozen;
  }
}

function digest(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** jsonwebtoken's own rule: expired once the current whole second reaches `exp`. */
function isExpired(grant: TokenGrant): boolean {
  return Math.floor(Date.now() / 1000) >= grant.expiresAt!.getTime() / 1000;
}
