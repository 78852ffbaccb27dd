import type { AuthenticationBackend } from '../backend';
import type { JsonObject } from './document-types';
import { describeTransport } from './transport-descriptions';

/**
 * One security scheme per backend, named like the backend, as its transport describes it: the
 * library's bearer transport is an OAuth2 password flow at its `tokenUrl` offering `scopes` (what
 * Swagger UI's "Authorize" uses), its cookie transport an `apiKey` in its cookie; a transport of
 * the app's own that does not describe itself is an HTTP scheme named after its `scheme`.
 */
export function securitySchemes(backends: readonly AuthenticationBackend[], scopes: Record<string, string>): JsonObject {
  const schemes: JsonObject = {};
  for (const backend of backends) schemes[backend.name] = describeTransport(backend.transport).securityScheme(backend.name, scopes);
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
