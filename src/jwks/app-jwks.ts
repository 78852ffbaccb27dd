import type { AuthenticationBackend } from '../backend';
import { AuthConfigurationError } from '../errors';
import type { JwkSet, PublicJwk } from '../strategies/jwk';
import { JwtStrategy } from '../strategies/jwt';

/** The app's JwtStrategies that publish keys (they sign with an RS/PS/ES key), each once. */
export function publishingStrategies(backends: readonly AuthenticationBackend[]): JwtStrategy[] {
  const strategies = new Set(backends.map((b) => b.strategy).filter((s): s is JwtStrategy => s instanceof JwtStrategy));
  return [...strategies].filter((s) => s.publicJwks().length > 0);
}

/**
 * The app's JWK Set: the published keys of every JwtStrategy of its backends, each `kid` once.
 * Throws `AuthConfigurationError` when no JwtStrategy signs with an RS/PS/ES key (an HS secret is
 * never published, so there would be nothing for another service to verify with), or when two
 * different keys share a `kid` (a verifier could not tell them apart).
 */
export function appJwks(backends: readonly AuthenticationBackend[]): JwkSet {
  const byKid = new Map<string, PublicJwk>();
  for (const strategy of new Set(backends.map((b) => b.strategy))) {
    if (!(strategy instanceof JwtStrategy)) continue;
    for (const jwk of strategy.publicJwks()) {
      const known = byKid.get(jwk.kid);
      if (known && JSON.stringify(known) !== JSON.stringify(jwk)) {
        throw new AuthConfigurationError(`JWKS: two different keys have kid "${jwk.kid}"; give each JwtStrategy key its own kid.`);
      }
      byKid.set(jwk.kid, jwk);
    }
  }
  if (byKid.size === 0) {
    throw new AuthConfigurationError(
      'JWKS: no JwtStrategy of this app signs with an RS*, PS* or ES* key, so there is no public key to publish (HS secrets never are).',
    );
  }
  return { keys: [...byKid.values()] };
}
