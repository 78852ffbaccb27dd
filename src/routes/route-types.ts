import type { ConfiguredAuth } from '../configured-auth';
import type { ErrorCode } from '../errors';
import type { JsonObject } from '../openapi/document-types';
import type { RateLimitedAction } from '../security/rate-limited-action';

/**
 * What a description of one of the library's routes can look at: the configured `Auth` and the
 * app's controller instance (its backend, its DTOs, its options), so the document and the checks
 * made while serving follow the configuration.
 */
export interface RouteContext {
  auth: ConfiguredAuth<any>;
  /** The app's controller instance; undefined while documenting when it could not be made. */
  controller: any;
  /** Registers a class-validator DTO in `components.schemas`; returns a `$ref` to it. */
  schema(dto: Function): JsonObject;
}

/** Failures by status, e.g. `[[400, [ErrorCode.VERIFY_USER_BAD_TOKEN]]]`. */
export type StatusCodes = Array<[number, ErrorCode[]]>;

/** A domain error (see errors.ts) the route answers with its own status and code, the error's message as message. */
export interface DomainErrorAnswer {
  error: abstract new (...args: any[]) => Error;
  status: number;
  code: ErrorCode;
  /** Whether the route can meet it under this configuration; default: always. */
  when?: (context: RouteContext) => boolean;
}

/** The body a route reads: malformed, 400 `VALIDATION_ERROR`; too large, 413; another type, 415. */
export interface RouteBody {
  accepts: 'json' | 'json-or-form';
  /** Default true: an empty body is checked by the DTOs like any other. */
  required?: boolean;
  /** Runs on the raw fields before validation (a clearer error than the DTO's). */
  prepare?: (fields: Record<string, unknown>) => void;
  /** The DTOs the body is validated against, in order; functions of the controller, whose subclasses may swap them. */
  dtos?: (controller: any) => Function[];
  /** DTOs the handler validates only when it needs them: documented, not validated up front. */
  documentedDtos?: (controller: any) => Function[];
  /** The documented schema when the body is no DTO (the OAuth2 forms). */
  schema?: (context: RouteContext) => JsonObject;
}

/** The attempt budget a route counts (429 `TOO_MANY_REQUESTS` once spent, with `Retry-After`). */
export interface RouteRateLimit {
  action: RateLimitedAction;
  /**
   * The account the attempt counts for, from the first validated DTO: counted as soon as the body
   * is read. Without it the handler counts, where it must, with `RouteCall.countAttempt`.
   */
  account?: (dto: any) => string;
}

/** The OpenAPI description of a route, merged over the generated operation. */
export interface RouteDocs {
  summary: string;
  description?: string;
  parameters?: JsonObject[];
  /** Default: derived from `body`. */
  requestBody?: JsonObject;
  /** The successful answers, by status. */
  responses: JsonObject;
  /** Only this backend authenticates the route (logout): its scheme alone is the security requirement. */
  backend?: string;
}

/**
 * Everything the library knows about one of its routes, declared once beside the handler: what it
 * reads, the budget it counts, the failures it answers, and its OpenAPI description. The route's
 * helper (route-call.ts) applies it while serving; the OpenAPI builder reads it.
 */
export interface LibraryRouteDeclaration {
  /**
   * False when the configuration leaves the route nothing to serve (refresh on a backend without
   * refresh tokens): it then reads no body, counts no attempt and answers only its `errors`.
   */
  available?: (context: RouteContext) => boolean;
  /**
   * True: an API key cannot call the route (401 `UNAUTHORIZED`, before the handler runs), only a
   * signed-in session can. For routes that manage the account's credentials, sessions or keys, and
   * logout. One line opts a route in; `@Authorized({ sessionOnly: true })` does the same for an app's route.
   */
  sessionOnly?: boolean;
  body?: RouteBody;
  rateLimit?: RouteRateLimit;
  /** Domain errors turned into this route's answers. */
  answers?: DomainErrorAnswer[];
  /** The route's own failures besides `answers`, as the configuration makes them (`@Authorized`'s and the body's are added). */
  errors?: (context: RouteContext) => StatusCodes;
  docs: (context: RouteContext) => RouteDocs;
}
