import { createHash, createPublicKey, type KeyObject } from 'crypto';
import { AuthConfigurationError } from '../errors';

/**
 * A public signing key as RFC 7517 publishes it: only the members that describe the public key
 * (RSA `n`, `e`; EC `crv`, `x`, `y`), its `kid`, its `alg` and `use: 'sig'`.
 */
export interface PublicJwk {
  kty: 'RSA' | 'EC';
  kid: string;
  alg: string;
  use: 'sig';
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

/** An RFC 7517 JWK Set. */
export interface JwkSet {
  keys: PublicJwk[];
}

/** The public members of each key type, in RFC 7638's order (the thumbprint hashes exactly these). */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
};

/**
 * The public members of `key`'s JWK, from node:crypto's own export. Only the listed public
 * members are copied, so no private member (`d`, `p`, `q`, `dp`, `dq`, `qi`) can slip through
 * even if a private key is given. Undefined when the key has no JWK form (a symmetric key, or an
 * RSA-PSS key, which node:crypto cannot export as a JWK).
 */
export function publicJwkMembers(key: KeyObject): Record<string, string> | undefined {
  if (key.type === 'secret') return undefined;
  let exported: Record<string, unknown>;
  try {
    exported = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  } catch {
    return undefined;
  }
  const members = PUBLIC_MEMBERS[String(exported.kty)];
  if (!members) return undefined;
  const jwk: Record<string, string> = {};
  for (const member of members) {
    if (typeof exported[member] !== 'string') return undefined;
    jwk[member] = exported[member];
  }
  return jwk;
}

/** RFC 7638: SHA-256 of the required public members, lexicographically ordered, base64url. */
export function jwkThumbprint(members: Record<string, string>): string {
  const required = PUBLIC_MEMBERS[members.kty];
  if (!required) throw new AuthConfigurationError(`JwtStrategy: no thumbprint for a "${members.kty}" key.`);
  // JSON.stringify of an object built in this order is RFC 7638's canonical form (no whitespace).
  const canonical = JSON.stringify(Object.fromEntries(required.map((m) => [m, members[m]])));
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}
