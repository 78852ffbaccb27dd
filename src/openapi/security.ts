import type { AuthenticationBackend } from '../backend';
import { BearerTransport } from '../transports/bearer';
import { CookieTransport } from '../transports/cookie';
import type { JsonObject } from './document-types';

/**
 * One security scheme per backend, named like the backend: a bearer backend is an OAuth2
 * password flow at its `tokenUrl` offering `scopes` (what Swagger UI's "Authorize" uses); a
 * cookie backend is an `apiKey` in its cookie. A backend with a transport of the app's own is
 * not described (the library cannot know how its credential travels).
 */
export function securitySchemes(backends: readonly AuthenticationBackend[], scopes: Record<string, string>): JsonObject {
  const schemes: JsonObject = {};
  for (const backend of backends) {
    const transport = backend.transport;
    if (transport instanceof BearerTransport) {
      schemes[backend.name] = {
        type: 'oauth2',
        description: `Backend "${backend.name}": log in at ${transport.tokenUrl} (username = email), then send \`Authorization: Bearer <access_token>\`.`,
        flows: { password: { tokenUrl: transport.tokenUrl, scopes: { ...scopes } } },
      };
    } else if (transport instanceof CookieTransport) {
      schemes[backend.name] = {
        type: 'apiKey',
        in: 'cookie',
        name: transport.cookieName,
        description: `Backend "${backend.name}": the HttpOnly cookie its login sets. Unsafe requests it authenticates must come from the app's own origin (else 403 CSRF_FAILED).`,
      };
    }
  }
  return schemes;
}

/**
 * The `security` of an `@Authorized(scopes)` route: each described backend is an alternative.
 * OAuth2 schemes list the scopes; OpenAPI 3.0 requires other schemes' lists to be empty (the
 * server still checks the scopes of a cookie session).
 */
export function securityRequirement(schemes: JsonObject, scopes: readonly string[]): JsonObject[] {
  return Object.entries(schemes).map(([name, scheme]) => ({ [name]: scheme.type === 'oauth2' ? [...scopes] : [] }));
}
