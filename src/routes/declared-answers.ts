import type { AuthenticationBackend } from '../backend';
import { ErrorCode } from '../errors';
import { WWW_AUTHENTICATE_HEADER } from '../openapi/error-responses';
import { describeTransport } from '../openapi/transport-descriptions';
import type { AccessRequirement } from '../security/access-requirement';
import type { LibraryRouteDeclaration, RouteContext } from './route-types';

/** Failures with one status, and the headers they carry besides `Retry-After` (added for 429 and 503). */
export interface ErrorEntry {
  status: number;
  codes: ErrorCode[];
  headers?: string[];
}

const UNSAFE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * The failures a declared route answers under this configuration: its own, its domain errors',
 * its body's (400 `VALIDATION_ERROR`, 413, 415) and its rate limit's (429, when limits are on).
 * `@Authorized`'s come from `authorizedErrors`.
 */
export function declaredRouteErrors(declaration: LibraryRouteDeclaration, context: RouteContext): ErrorEntry[] {
  const entries: ErrorEntry[] = (declaration.errors?.(context) ?? []).map(([status, codes]) => ({ status, codes }));
  if (declaration.available && !declaration.available(context)) return entries;
  for (const answer of declaration.answers ?? []) {
    if (!answer.when || answer.when(context)) entries.push({ status: answer.status, codes: [answer.code] });
  }
  if (declaration.body) {
    entries.push({ status: 400, codes: [ErrorCode.VALIDATION_ERROR] });
    entries.push({ status: 413, codes: [ErrorCode.PAYLOAD_TOO_LARGE] });
    entries.push({ status: 415, codes: [ErrorCode.UNSUPPORTED_MEDIA_TYPE] });
  }
  if (declaration.rateLimit && context.auth.rateLimits) entries.push({ status: 429, codes: [ErrorCode.TOO_MANY_REQUESTS] });
  return entries;
}

/**
 * What `@Authorized(...)` adds to a route served by `backends`: 401 (with the challenge when a
 * transport sends one), 403 `INSUFFICIENT_SCOPE` when it asks scopes, 401 `REAUTHENTICATION_REQUIRED`
 * for a step-up, 403 `CSRF_FAILED` on unsafe methods when a transport checks origins, 503.
 */
export function authorizedErrors(requirement: AccessRequirement, backends: readonly AuthenticationBackend[], httpMethod: string): ErrorEntry[] {
  const transports = backends.map((b) => describeTransport(b.transport));
  const challenge = transports.some((t) => t.challenges) ? [WWW_AUTHENTICATE_HEADER] : [];
  // A refused API key says so (API_KEY_INVALID, API_KEY_EXPIRED): the strategies name such codes.
  const refusals = [...new Set(backends.flatMap((b) => b.strategy.refusalCodes ?? []))];
  const entries: ErrorEntry[] = [{ status: 401, codes: [ErrorCode.UNAUTHORIZED, ...refusals], headers: challenge }];
  if (requirement.scopes.length > 0) entries.push({ status: 403, codes: [ErrorCode.INSUFFICIENT_SCOPE], headers: challenge });
  if (requirement.maxAgeSeconds !== undefined || requirement.factors !== undefined)
    entries.push({ status: 401, codes: [ErrorCode.REAUTHENTICATION_REQUIRED], headers: challenge });
  if (transports.some((t) => t.originChecks.authenticated) && UNSAFE_METHODS.has(httpMethod.toLowerCase())) {
    entries.push({ status: 403, codes: [ErrorCode.CSRF_FAILED] });
  }
  entries.push({ status: 503, codes: [ErrorCode.AUTH_BACKEND_UNAVAILABLE] });
  return entries;
}
