import { randomBytes } from 'crypto';
import jwt from 'jsonwebtoken';
import { AuthConfigurationError } from '../errors';
import { isSymmetric, type JwtAlgorithm, type JwtKeys, type KeyInput, type PrivateKeyInput, resolveJwtKeys } from './jwt-keys';
import { jwkThumbprint, type PublicJwk, publicJwkMembers } from './jwk';
import type { RevocationStore } from './revocation/revocation-store';
import type { TokenRejectionReason } from '../security/events';
import { DEFAULT_VERIFIED_TOKEN_CACHE_SIZE, type Verification, VerifiedTokenCache } from './verified-token-cache';
import { isRejection, MAX_TOKEN_LENGTH, type Strategy, type TokenGrant, type TokenRejection, type TokenRequest } from './strategy';
import { lifetimeOption } from '../options';
import type { PluginContext } from '../lifecycle';

export const DEFAULT_JWT_AUDIENCE = 'routing-controllers-auth:auth';
/** How far in the future a JWT's `iat` may lie (clock skew between servers). */
export const DEFAULT_ISSUED_AT_LEEWAY_SECONDS = 30;

/**
 * A key that verifies tokens but does not sign them, selected by the token's `kid`: a key of an
 * earlier rotation (with `retiredAt`), or the next key, announced (verified and published) before
 * it signs.
 */
export interface JwtVerificationKey {
  /**
   * Required for HS*. RS/PS/ES default: the RFC 7638 JWK thumbprint of the public key, the `kid`
   * it had as the current key when that had none given (RSA-PSS keys have none: give it).
   */
  kid?: string;
  algorithm: JwtAlgorithm;
  /** HS*: the secret. RS/PS/ES: the private key (its public key is derived). */
  secret?: PrivateKeyInput;
  /** RS/PS/ES: the public key. */
  publicKey?: KeyInput;
  /**
   * When this key stopped signing (the rotation). It then verifies, and is published in the JWKS,
   * only while tokens it signed can still be alive: until `retiredAt` + the strategy's
   * `lifetimeSeconds` + `issuedAtLeewaySeconds`; a token it signed after `retiredAt` is refused.
   * Without it, the key verifies until it is removed from the configuration.
   */
  retiredAt?: Date;
}

export interface JwtStrategyOptions {
  /** HS*: the shared secret (≥ 32 bytes). RS/PS/ES: the private key, optionally `{ privateKey, passphrase }`. */
  secret?: PrivateKeyInput;
  /** RS/PS/ES: the public key; derived from the private key when absent. Alone, makes a verify-only strategy. */
  publicKey?: KeyInput;
  /** Default `HS256`. A token verifies only with the algorithm of the key it names. */
  algorithm?: JwtAlgorithm;
  /** Seconds a token lives. Default 3600. */
  lifetimeSeconds?: number;
  /** The `aud` claim written and required. Default `routing-controllers-auth:auth`. */
  audience?: string;
  /** When set, the `iss` claim written and required. */
  issuer?: string;
  /**
   * The current key's id, written as the `kid` header. RS/PS/ES default: the RFC 7638 JWK
   * thumbprint of the public key (an RSA-PSS key has none unless given); HS: none unless given.
   */
  kid?: string;
  /**
   * Keys that verify tokens naming their `kid` but do not sign: those of earlier rotations (with
   * `retiredAt`, so they go once their tokens have expired) and the next key, announced before it signs.
   */
  previousKeys?: JwtVerificationKey[];
  /**
   * Where revocations are kept, making logout and "log out everywhere" effective for JWTs.
   * Without one, a JWT lives until `exp` whatever happens.
   */
  revocation?: RevocationStore;
  /**
   * Seconds a token's `iat` may lie in the future (clocks of the servers that sign and verify
   * differ a little); a token issued later than that is refused as forged or mis-signed. Default 30.
   * Unlike jsonwebtoken's `clockTolerance`, it never lengthens `exp`.
   */
  issuedAtLeewaySeconds?: number;
  /**
   * How many verified tokens to remember (default 10,000), so a token sent on every request is
   * verified once, not per request; `exp` and revocation are still checked every time. 0 turns it off.
   */
  verifiedTokenCacheSize?: number;
}

interface NamedKey extends JwtKeys {
  algorithm: JwtAlgorithm;
  kid?: string;
  /** A retired key: when it stopped signing, and until when its tokens may live (ms since the epoch). */
  retiredAtMs?: number;
  verifiesUntilMs?: number;
  /** Its public JWK members, exported once when first published (null: it has no JWK form). */
  jwk?: Record<string, string> | null;
}

/** Three base64url segments: anything else is refused before jsonwebtoken parses it. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 9068's media type for JWT access tokens, so other JWTs signed with the key are refused. */
const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * Self-contained JWT access tokens (RFC 9068 claims: `sub`, `aud`, `iat`, `exp`, `scope`, `jti`).
 * Stateless unless a `revocation` store is configured. Keys come only from configuration:
 * `kid` is a lookup among configured keys; `jku`, `x5u` and `jwk` headers are ignored.
 */
export class JwtStrategy implements Strategy {
  readonly lifetimeSeconds: number;
  readonly algorithm: JwtAlgorithm;
  readonly audience: string;
  readonly issuer: string | undefined;
  readonly kid: string | undefined;
  readonly revocation: RevocationStore | undefined;
  readonly issuedAtLeewaySeconds: number;
  private readonly current: NamedKey;
  private readonly keysById = new Map<string, NamedKey>();
  private readonly verified: VerifiedTokenCache | undefined;

  constructor(options: JwtStrategyOptions) {
    this.algorithm = options.algorithm ?? 'HS256';
    // A JWT always expires: no null here.
    this.lifetimeSeconds = lifetimeOption(options.lifetimeSeconds, 'JwtStrategy: lifetimeSeconds', false) as number;
    this.issuedAtLeewaySeconds = options.issuedAtLeewaySeconds ?? DEFAULT_ISSUED_AT_LEEWAY_SECONDS;
    if (!Number.isFinite(this.issuedAtLeewaySeconds) || this.issuedAtLeewaySeconds < 0) {
      throw new AuthConfigurationError('JwtStrategy: issuedAtLeewaySeconds must be a number ≥ 0.');
    }
    const current: NamedKey = { algorithm: this.algorithm, ...resolveJwtKeys(this.algorithm, options.secret, options.publicKey) };
    // A verify-only strategy (another service) with one key names none, so it keeps accepting the
    // tokens of an issuer that names its key otherwise (an explicit `kid`), as it did before key ids.
    const namesItsKey = current.signingKey !== undefined || (options.previousKeys?.length ?? 0) > 0;
    current.kid = options.kid ?? (namesItsKey ? thumbprintOf(current) : undefined);
    this.current = current;
    this.kid = current.kid;
    if (this.kid !== undefined) this.keysById.set(this.kid, this.current);
    for (const key of options.previousKeys ?? []) {
      const resolved: NamedKey = { algorithm: key.algorithm, verifyKey: resolveJwtKeys(key.algorithm, key.secret, key.publicKey).verifyKey };
      const kid = key.kid ?? thumbprintOf(resolved);
      if (kid === undefined) {
        throw new AuthConfigurationError(
          `JwtStrategy: a previous ${key.algorithm} key needs a \`kid\` (only RS/ES keys have a default one, their thumbprint).`,
        );
      }
      if (this.keysById.has(kid)) throw new AuthConfigurationError(`JwtStrategy: two keys have kid "${kid}".`);
      resolved.kid = kid;
      if (key.retiredAt !== undefined) {
        if (!(key.retiredAt instanceof Date) || Number.isNaN(key.retiredAt.getTime())) {
          throw new AuthConfigurationError(`JwtStrategy: retiredAt of the key "${kid}" must be a valid Date.`);
        }
        resolved.retiredAtMs = key.retiredAt.getTime();
        resolved.verifiesUntilMs = resolved.retiredAtMs + (this.lifetimeSeconds + this.issuedAtLeewaySeconds) * 1000;
      }
      this.keysById.set(kid, resolved);
    }
    if (this.keysById.size > 0 && this.kid === undefined) {
      throw new AuthConfigurationError('JwtStrategy: give the current key a `kid` when previousKeys are configured.');
    }
    this.audience = options.audience ?? DEFAULT_JWT_AUDIENCE;
    this.issuer = options.issuer;
    this.revocation = options.revocation;
    const cacheSize = options.verifiedTokenCacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) {
      throw new AuthConfigurationError('JwtStrategy: verifiedTokenCacheSize must be a whole number ≥ 0.');
    }
    this.verified = cacheSize > 0 ? new VerifiedTokenCache(cacheSize) : undefined;
  }

  /** Hands the app's context on to the revocation store, whichever it is (its DataSource, its error watch). */
  init(context: PluginContext): void {
    this.revocation?.init?.(context);
  }

  async ready(): Promise<void> {
    await this.revocation?.ready?.();
  }

  async write(request: TokenRequest): Promise<string> {
    const signingKey = this.current.signingKey;
    if (!signingKey) throw new AuthConfigurationError('JwtStrategy: this strategy only verifies (no private key).');
    const lifetime = request.lifetimeSeconds ?? this.lifetimeSeconds;
    // NumericDate may be fractional (RFC 7519 §2): millisecond `iat` lets a revocation cut-off
    // separate tokens issued just before it from those issued just after.
    const nowMs = Date.now();
    const claims: Record<string, unknown> = {
      sub: request.userId,
      aud: this.audience,
      iat: nowMs / 1000,
      exp: Math.floor(nowMs / 1000) + lifetime,
      scope: request.scopes.join(' '),
      jti: randomBytes(16).toString('base64url'),
    };
    if (request.sessionId !== undefined) claims.sid = request.sessionId;
    // OpenID Connect's claims for the sign-in behind the token: whole seconds, and RFC 8176 methods.
    if (request.authTime !== undefined) claims.auth_time = Math.floor(request.authTime.getTime() / 1000);
    if (request.amr !== undefined) claims.amr = [...request.amr];
    if (this.issuer) claims.iss = this.issuer;
    const header: Record<string, unknown> = { alg: this.algorithm, typ: ACCESS_TOKEN_TYPE };
    if (this.kid !== undefined) header.kid = this.kid;
    return jwt.sign(claims, signingKey, { algorithm: this.algorithm, header: header as unknown as jwt.JwtHeader });
  }

  async read(token: string): Promise<TokenGrant | TokenRejection> {
    const grant = this.inspect(token);
    if (isRejection(grant) || !this.revocation) return grant;
    const revoked = await this.revocation.isRevoked({
      tokenId: grant.tokenId!,
      userId: grant.userId,
      issuedAtMs: grant.issuedAtMs!,
      expiresAt: grant.expiresAt!,
      sessionId: grant.sessionId,
    });
    return revoked ? { rejected: 'revoked' } : grant;
  }

  /** Signature, claims and expiry only (no revocation check); `null` for anything not a valid access token. */
  verify(token: string): TokenGrant | null {
    const result = this.inspect(token);
    return isRejection(result) ? null : result;
  }

  /** `verify`, saying why a token is refused. */
  inspect(token: string): TokenGrant | TokenRejection {
    if (token.length > MAX_TOKEN_LENGTH) return { rejected: 'malformed' };
    // The shape is checked before verifying, not before the cache look-up: a remembered token had it.
    const verify = (): Verification => (JWT_SHAPE.test(token) ? this.verifySignatureAndClaims(token) : { rejected: 'malformed' });
    if (this.verified) return this.verified.verifyOnce(token, verify);
    const result = verify();
    return 'rejected' in result ? result : result.grant;
  }

  private verifySignatureAndClaims(token: string): Verification {
    const invalidClaims: TokenRejection = { rejected: 'invalid_claims' };
    const key = this.keyFor(token);
    // An unknown kid, or a retired key whose tokens have all expired: no key verifies it.
    if (!key || (key.verifiesUntilMs !== undefined && Date.now() > key.verifiesUntilMs)) return { rejected: 'bad_signature' };
    let decoded: jwt.Jwt;
    try {
      decoded = jwt.verify(token, key.verifyKey, {
        algorithms: [key.algorithm],
        audience: this.audience,
        issuer: this.issuer,
        complete: true,
      });
    } catch (error) {
      return { rejected: rejectionOf(error) };
    }
    if (decoded.header.typ !== ACCESS_TOKEN_TYPE) return invalidClaims;
    const claims = decoded.payload;
    if (typeof claims !== 'object' || claims === null) return invalidClaims;
    if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string') return invalidClaims;
    const scope = (claims as { scope?: unknown }).scope;
    if (scope !== undefined && typeof scope !== 'string') return invalidClaims;
    const sid = (claims as { sid?: unknown }).sid;
    if (sid !== undefined && typeof sid !== 'string') return invalidClaims;
    if (this.revocation && (typeof claims.jti !== 'string' || typeof claims.iat !== 'number')) return invalidClaims;
    const authTime = (claims as { auth_time?: unknown }).auth_time;
    if (authTime !== undefined && (typeof authTime !== 'number' || !Number.isFinite(authTime))) return invalidClaims;
    const amr = (claims as { amr?: unknown }).amr;
    if (amr !== undefined && !(Array.isArray(amr) && amr.every((m) => typeof m === 'string'))) return invalidClaims;
    if (claims.iat !== undefined && (typeof claims.iat !== 'number' || claims.iat > Date.now() / 1000 + this.issuedAtLeewaySeconds)) return invalidClaims;
    // A retired key signs nothing: a token claiming a later `iat` comes from an instance still signing with it, or a forger.
    if (key.retiredAtMs !== undefined && (typeof claims.iat !== 'number' || claims.iat * 1000 > key.retiredAtMs + this.issuedAtLeewaySeconds * 1000)) {
      return invalidClaims;
    }
    const grant: TokenGrant = {
      userId: claims.sub,
      scopes: scope ? scope.split(' ').filter(Boolean) : [],
      tokenId: claims.jti,
      issuedAtMs: typeof claims.iat === 'number' ? Math.round(claims.iat * 1000) : undefined,
      expiresAt: new Date(claims.exp * 1000),
    };
    if (sid !== undefined) grant.sessionId = sid;
    if (authTime !== undefined) grant.authTime = new Date(authTime * 1000);
    if (amr !== undefined) grant.amr = amr;
    // A token with `nbf` is not remembered: a cache hit re-checks only `exp` (this library never writes `nbf`).
    // `iat` needs no re-check: a token not too far in the future now never is later, and refusals are not remembered.
    // Nor is one that would outlive its retired key (a cache hit re-checks only `exp`).
    const outlivesKey = key.verifiesUntilMs !== undefined && claims.exp * 1000 > key.verifiesUntilMs;
    return { grant, cacheable: claims.nbf === undefined && !outlivesKey };
  }

  /**
   * The public keys other services verify this strategy's tokens with (RFC 7517 JWKs, each with
   * `kid`, `alg` and `use: 'sig'`): when it signs with an RS/PS/ES key, that key and every previous
   * RS/PS/ES key still in its window. Empty for a strategy signing with an HS secret (a secret is
   * never published) or one that only verifies. Never a private member. Throws
   * `AuthConfigurationError` for a key node:crypto cannot export as a JWK (an RSA-PSS key).
   */
  publicJwks(): PublicJwk[] {
    if (!this.current.signingKey || isSymmetric(this.current.algorithm)) return [];
    const now = Date.now();
    const published: PublicJwk[] = [];
    for (const key of [this.current, ...[...this.keysById.values()].filter((k) => k !== this.current)]) {
      if (isSymmetric(key.algorithm) || (key.verifiesUntilMs !== undefined && now > key.verifiesUntilMs)) continue;
      if (key.jwk === undefined) key.jwk = publicJwkMembers(key.verifyKey) ?? null;
      if (key.jwk === null || key.kid === undefined) {
        throw new AuthConfigurationError(
          `JwtStrategy: the ${key.algorithm} key${key.kid ? ` "${key.kid}"` : ''} cannot be published as a JWK (node:crypto exports no RSA-PSS key as one); use a plain RSA key for PS*.`,
        );
      }
      published.push({ ...key.jwk, kid: key.kid, alg: key.algorithm, use: 'sig' } as PublicJwk);
    }
    return published;
  }

  /** Deny-lists the token until its expiry when a revocation store is configured; otherwise it lives until `exp`. */
  async revoke(_token: string, grant: TokenGrant): Promise<void> {
    if (!this.revocation || !grant.tokenId) return;
    await this.revocation.revoke({ tokenId: grant.tokenId, userId: grant.userId, issuedAtMs: grant.issuedAtMs ?? 0, expiresAt: grant.expiresAt! });
  }

  /**
   * Every token of the user issued until now becomes invalid (needs a revocation store). A cut-off
   * cannot spare one session: with `exceptSessionId`, that session's access tokens go too (its
   * refresh token stays, so its client refreshes).
   */
  async revokeAllForUser(userId: string): Promise<void> {
    await this.revocation?.revokeAllIssuedBefore(userId, new Date());
  }

  /** Every token of the session becomes invalid (needs a revocation store that can; else they live until `exp`). */
  async revokeSession(sessionId: string, until: Date): Promise<void> {
    await this.revocation?.revokeSession?.(sessionId, until);
  }

  /** @deprecated Use `revoke`. */
  destroy(token: string, grant: TokenGrant): Promise<void> {
    return this.revoke(token, grant);
  }

  /** @deprecated Use `revokeAllForUser`. */
  destroyAllForUser(userId: string): Promise<void> {
    return this.revokeAllForUser(userId);
  }

  /** @deprecated Use `revokeSession`. */
  destroySession(sessionId: string, until: Date): Promise<void> {
    return this.revokeSession(sessionId, until);
  }

  /** The configured key a token names (by `kid`), or the current key for a token without one. */
  private keyFor(token: string): NamedKey | undefined {
    if (this.keysById.size === 0) return this.current;
    let header: { kid?: unknown };
    try {
      header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (header === null || typeof header !== 'object') return undefined;
    if (header.kid === undefined) return this.current;
    return typeof header.kid === 'string' ? this.keysById.get(header.kid) : undefined;
  }
}

/** An RS/ES key's RFC 7638 thumbprint, its default `kid`; undefined for a secret or an RSA-PSS key. */
function thumbprintOf(key: NamedKey): string | undefined {
  if (isSymmetric(key.algorithm)) return undefined;
  const members = publicJwkMembers(key.verifyKey);
  return members ? jwkThumbprint(members) : undefined;
}

/** jsonwebtoken's errors, sorted into the reasons auth events report. */
function rejectionOf(error: unknown): TokenRejectionReason {
  if (error instanceof jwt.TokenExpiredError) return 'expired';
  if (error instanceof jwt.NotBeforeError) return 'invalid_claims';
  const message = error instanceof Error ? error.message : '';
  if (/signature|algorithm|secret or public key/.test(message)) return 'bad_signature';
  if (/audience|issuer|subject|jwtid|maxAge/.test(message)) return 'invalid_claims';
  return 'malformed';
}
