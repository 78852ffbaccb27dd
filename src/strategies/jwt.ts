import { randomBytes } from 'crypto';
import jwt from 'jsonwebtoken';
import { AuthConfigurationError } from '../errors';
import { type JwtAlgorithm, type KeyInput, type PrivateKeyInput, resolveJwtKeys } from './jwt-keys';
import { MAX_TOKEN_LENGTH, type Strategy, type TokenGrant, type TokenRequest } from './strategy';

export const DEFAULT_JWT_AUDIENCE = 'routing-controllers-auth:auth';

export interface JwtStrategyOptions {
  /** HS*: the shared secret (≥ 32 bytes). RS/PS/ES: the private key, optionally `{ privateKey, passphrase }`. */
  secret?: PrivateKeyInput;
  /** RS/PS/ES: the public key; derived from the private key when absent. Alone, makes a verify-only strategy. */
  publicKey?: KeyInput;
  /** Default `HS256`. Verification accepts this algorithm only. */
  algorithm?: JwtAlgorithm;
  /** Seconds a token lives. Default 3600. */
  lifetimeSeconds?: number;
  /** The `aud` claim written and required. Default `routing-controllers-auth:auth`. */
  audience?: string;
  /** When set, the `iss` claim written and required. */
  issuer?: string;
}

/** Three base64url segments: anything else is refused before jsonwebtoken parses it. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 9068's media type for JWT access tokens, so other JWTs signed with the key are refused. */
const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * Self-contained JWT access tokens (RFC 9068 claims: `sub`, `aud`, `iat`, `exp`, `scope`, `jti`).
 * Stateless: nothing is stored, so a token lives until `exp` (logout cannot revoke it).
 */
export class JwtStrategy implements Strategy {
  readonly lifetimeSeconds: number;
  readonly algorithm: JwtAlgorithm;
  readonly audience: string;
  readonly issuer: string | undefined;
  private readonly keys: ReturnType<typeof resolveJwtKeys>;

  constructor(options: JwtStrategyOptions) {
    this.algorithm = options.algorithm ?? 'HS256';
    this.keys = resolveJwtKeys(this.algorithm, options.secret, options.publicKey);
    this.lifetimeSeconds = options.lifetimeSeconds ?? 3600;
    if (!Number.isFinite(this.lifetimeSeconds) || this.lifetimeSeconds <= 0) {
      throw new AuthConfigurationError('JwtStrategy: lifetimeSeconds must be a positive number (a JWT always expires).');
    }
    this.audience = options.audience ?? DEFAULT_JWT_AUDIENCE;
    this.issuer = options.issuer;
  }

  async write(request: TokenRequest): Promise<string> {
    if (!this.keys.signingKey) throw new AuthConfigurationError('JwtStrategy: this strategy only verifies (no private key).');
    const lifetime = request.lifetimeSeconds ?? this.lifetimeSeconds;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      sub: request.userId,
      aud: this.audience,
      iat: now,
      exp: now + lifetime,
      scope: request.scopes.join(' '),
      jti: randomBytes(16).toString('base64url'),
    };
    if (this.issuer) claims.iss = this.issuer;
    return jwt.sign(claims, this.keys.signingKey, { algorithm: this.algorithm, header: { alg: this.algorithm, typ: ACCESS_TOKEN_TYPE } });
  }

  async read(token: string): Promise<TokenGrant | null> {
    return this.verify(token);
  }

  /** Synchronous check; `null` for anything not a valid, unexpired access token of this strategy. */
  verify(token: string): TokenGrant | null {
    if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) return null;
    let decoded: jwt.Jwt;
    try {
      decoded = jwt.verify(token, this.keys.verifyKey, {
        algorithms: [this.algorithm],
        audience: this.audience,
        issuer: this.issuer,
        complete: true,
      });
    } catch {
      return null;
    }
    if (decoded.header.typ !== ACCESS_TOKEN_TYPE) return null;
    const claims = decoded.payload;
    if (typeof claims !== 'object' || claims === null) return null;
    if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string') return null;
    const scope = (claims as { scope?: unknown }).scope;
    if (scope !== undefined && typeof scope !== 'string') return null;
    return { userId: claims.sub, scopes: scope ? scope.split(' ').filter(Boolean) : [] };
  }

  /** A plain JWT cannot be revoked: it stays valid until `exp`. */
  async destroy(): Promise<void> {}
}
