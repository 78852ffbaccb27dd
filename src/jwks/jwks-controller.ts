import { ContentType, Controller, Get, Req, Res } from 'routing-controllers';
import type { ConfiguredAuth } from '../configured-auth';
import { LibraryController } from '../controllers/library-controller';
import { AuthConfigurationError } from '../errors';
import { exchangeFromParams } from '../http/request';
import type { JsonObject } from '../openapi/document-types';
import { LibraryRoute } from '../routes/route-declaration';
import type { JwkSet } from '../strategies/jwk';
import { publishingStrategies } from './app-jwks';

/** Options of `auth.jwksController()`. */
export interface JwksOptions {
  /** Where the JWK Set is served. Default `/.well-known/jwks.json`. */
  path?: string;
  /**
   * Seconds verifiers and caches may keep the set (`Cache-Control: public, max-age=…`). Default
   * 300, or half the shortest token lifetime of the publishing strategies when that is shorter.
   * It must stay below that lifetime: announce a new key at least this long before it signs.
   */
  maxAgeSeconds?: number;
}

/** Where `auth.jwksController()` serves the JWK Set unless told otherwise (RFC 8414 / OpenID Connect practice). */
export const DEFAULT_JWKS_PATH = '/.well-known/jwks.json';
/** `Cache-Control: max-age` of the JWK Set, unless the shortest token lifetime calls for less. */
export const DEFAULT_JWKS_MAX_AGE_SECONDS = 300;

/** One published key, as the document describes it. */
const JWK_SCHEMA: JsonObject = {
  type: 'object',
  required: ['kty', 'kid', 'alg', 'use'],
  properties: {
    kty: { type: 'string', enum: ['RSA', 'EC'] },
    kid: { type: 'string' },
    alg: { type: 'string', enum: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] },
    use: { type: 'string', enum: ['sig'] },
    n: { type: 'string', description: 'RSA modulus (base64url).' },
    e: { type: 'string', description: 'RSA exponent (base64url).' },
    crv: { type: 'string', enum: ['P-256', 'P-384', 'P-521'] },
    x: { type: 'string', description: 'EC x coordinate (base64url).' },
    y: { type: 'string', description: 'EC y coordinate (base64url).' },
  },
};

/** How long the set may be cached: the option, checked against the shortest token lifetime, or the default. */
function maxAgeOf(auth: ConfiguredAuth<any>, option: number | undefined): number {
  const shortest = Math.min(...publishingStrategies(auth.backends).map((s) => s.lifetimeSeconds));
  if (option === undefined) return Math.min(DEFAULT_JWKS_MAX_AGE_SECONDS, Math.floor(shortest / 2));
  if (!Number.isInteger(option) || option < 0 || option >= shortest) {
    throw new AuthConfigurationError(
      `auth.jwksController(): maxAgeSeconds must be a whole number ≥ 0 and below the shortest token lifetime (${shortest} s), so a retired key is dropped by verifiers before its tokens are.`,
    );
  }
  return option;
}

/**
 * A routing-controllers controller (Express or Koa) serving the app's JWK Set at `path`, for other
 * services to verify its JWTs. Made at start-up, it throws `AuthConfigurationError` there when the
 * app has no key to publish. The set is read at each request, so a retired key leaves it on time.
 */
export function jwksController(auth: ConfiguredAuth<any>, jwks: () => JwkSet, options: JwksOptions = {}): Function {
  const path = `/${(options.path ?? DEFAULT_JWKS_PATH).replace(/^\/+/, '')}`;
  jwks();
  const maxAge = maxAgeOf(auth, options.maxAgeSeconds);
  const cacheControl = `public, max-age=${maxAge}`;

  @LibraryController()
  @Controller()
  class JwksController {
    /** What the route's helper reports failures through. */
    readonly auth = auth;
    /** The document's tag for the route. */
    readonly tag = 'JWKS';

    @LibraryRoute({
      docs: () => ({
        summary: "The public keys that verify this app's JWTs (RFC 7517 JWK Set)",
        description:
          'Every key a valid token can name in its `kid`: the current signing key, the next one once announced, and retired ones until their last tokens expire. Never a private or symmetric key.',
        responses: {
          '200': {
            description: 'The JWK Set.',
            headers: { 'Cache-Control': { description: `\`${cacheControl}\``, schema: { type: 'string' } } },
            content: {
              'application/json': { schema: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: JWK_SCHEMA } } } },
            },
          },
        },
      }),
    })
    @Get(path)
    @ContentType('application/json; charset=utf-8')
    keys(@Req() request: any, @Res() response: any): JwkSet {
      const set = jwks();
      exchangeFromParams(request, response).rawResponse.setHeader('Cache-Control', cacheControl);
      return set;
    }
  }
  return JwksController;
}
