import { validationMetadatasToSchemas, targetConstructorToSchema } from 'class-validator-jsonschema';
import { Container } from 'typedi';
import { getFullPath, getSpec } from 'routing-controllers-openapi';
import type { ConfiguredAuth } from '../configured-auth';
import { controllerRoutes, type ControllerRoute } from './controller-routes';
import { deepMerge, type JsonObject, type OpenApiDocument } from './document-types';
import {
  AUTH_ERROR_SCHEMA,
  AUTH_ERROR_SCHEMA_OBJECT,
  ErrorAnswers,
  RETRY_AFTER_HEADER,
  RETRY_AFTER_HEADER_OBJECT,
  WWW_AUTHENTICATE_HEADER,
  WWW_AUTHENTICATE_HEADER_OBJECT,
} from './error-responses';
import { LIBRARY_SCHEMAS } from './library-schemas';
import { authorizedErrors, declaredRouteErrors, type ErrorEntry } from '../routes/declared-answers';
import { routeDeclaration, type RouteContext } from '../routes/route-declaration';
import { requestBodyOf } from '../routes/route-docs';
import { keepReferencedSchemas } from './referenced-schemas';
import { authorizedRequirement, authorizedScopes, LIBRARY_SCOPES, reportUndeclaredScopes, type UndeclaredScopeUse } from './route-scopes';
import { securityRequirement, securitySchemes } from './security';
import { libraryTag } from './route-tags';

/** Options of `auth.openApi()`. */
export interface OpenApiOptions {
  /** The document's `info`. Default title "API", version "1.0.0". */
  info?: { title?: string; version?: string; description?: string; [key: string]: unknown };
  /** The document's `servers`. Default: none (paths are relative to where the document is served). */
  servers?: Array<{ url: string; description?: string; [key: string]: unknown }>;
  /** The controllers to describe, as given to routing-controllers. Default: every registered controller. */
  controllers?: Function[];
  /** routing-controllers' `routePrefix`, if the app uses one. */
  routePrefix?: string;
  /** Deep-merged into the document last (objects key by key; arrays and values replaced). */
  additions?: Record<string, unknown>;
  /**
   * What to do when an `@Authorized(scopes)` route needs a scope `Auth.configure({ scopes })` does
   * not declare: `'warn'` (default; the scope is still offered, marked undeclared) or `'error'`
   * (throw an `AuthConfigurationError` naming each route).
   */
  undeclaredScopes?: 'warn' | 'error';
  /** Where warnings go. Default `console.warn`. */
  onWarning?: (message: string) => void;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const SCHEMA_OPTIONS = { refPointerPrefix: '#/components/schemas/' };
const UNDECLARED = 'Not declared in Auth.configure({ scopes }).';

/** The app's controller instance, for what its constructor chose (backend, DTOs); undefined if it cannot be made. */
function controllerInstance(target: Function): any {
  try {
    return Container.get(target as any);
  } catch {
    try {
      return new (target as any)();
    } catch {
      return undefined;
    }
  }
}

function describeRoute(route: ControllerRoute): string {
  return `${route.action.type.toUpperCase()} ${getFullPath(route)} (${route.controller.target.name}.${route.action.method})`;
}

/** The app's OpenAPI 3 document: its routes (inherited ones too), the library's routes described in full, security per backend. */
export function buildOpenApiDocument(auth: ConfiguredAuth<any>, options: OpenApiOptions = {}): OpenApiDocument {
  const routes = controllerRoutes(options.controllers, options.routePrefix).filter((r) => HTTP_METHODS.has(r.action.type));
  const schemas: JsonObject = validationMetadatasToSchemas(SCHEMA_OPTIONS);
  const document = getSpec(routes, schemas) as unknown as OpenApiDocument;

  // Scopes: the declared ones, then any a route needs that were not declared (reported).
  const scopes: Record<string, string> = { ...LIBRARY_SCOPES, ...auth.scopes };
  const undeclared: UndeclaredScopeUse[] = [];
  for (const route of routes) {
    const missing = (authorizedScopes(route) ?? []).filter((s) => !(s in scopes));
    if (missing.length > 0) undeclared.push({ route: describeRoute(route), scopes: missing });
  }
  reportUndeclaredScopes(undeclared, options.undeclaredScopes ?? 'warn', options.onWarning ?? ((m) => console.warn(m)));
  for (const use of undeclared) for (const scope of use.scopes) scopes[scope] = UNDECLARED;

  const schemes = securitySchemes(auth.backends, scopes);
  const addAll = (errors: ErrorAnswers, entries: ErrorEntry[]) => {
    for (const entry of entries) errors.add(entry.status, entry.codes, entry.headers);
  };

  for (const route of routes) {
    const operation: JsonObject = document.paths[getFullPath(route)][route.action.type];
    const errors = new ErrorAnswers();
    const declaration = routeDeclaration(route.declaredOn, route.action.method);
    let routeSchemes = schemes;
    if (declaration) {
      const context: RouteContext = {
        auth,
        controller: controllerInstance(route.controller.target),
        schema: (dto) => {
          schemas[dto.name] ??= targetConstructorToSchema(dto, SCHEMA_OPTIONS);
          return { $ref: `#/components/schemas/${dto.name}` };
        },
      };
      const docs = declaration.docs(context);
      const available = !declaration.available || declaration.available(context);
      const tag = libraryTag(context.controller, auth);
      if (tag) operation.tags = [tag];
      operation.summary = docs.summary;
      if (docs.description) operation.description = docs.description;
      if (docs.parameters) operation.parameters = [...(operation.parameters ?? []), ...docs.parameters];
      const requestBody = docs.requestBody ?? (declaration.body && available ? requestBodyOf(declaration.body, context) : undefined);
      if (requestBody) operation.requestBody = requestBody;
      operation.responses = { ...docs.responses };
      addAll(errors, declaredRouteErrors(declaration, context));
      if (docs.backend && schemes[docs.backend]) routeSchemes = { [docs.backend]: schemes[docs.backend] };
    }

    const requirement = authorizedRequirement(route);
    if (requirement !== undefined && (declaration?.sessionOnly || requirement.sessionOnly)) {
      // An API key cannot call it: its schemes are no way in.
      const sessionless = new Set(auth.backends.filter((b) => b.strategy.sessionless).map((b) => b.name));
      routeSchemes = Object.fromEntries(Object.entries(routeSchemes).filter(([name]) => !sessionless.has(name)));
      const note = 'Needs a signed-in session: an API key cannot call it (401 `UNAUTHORIZED`).';
      operation.description = operation.description
        ? `${operation.description}

${note}`
        : note;
    }
    if (requirement !== undefined) {
      operation.security ??= securityRequirement(routeSchemes, requirement.scopes);
      addAll(errors, authorizedErrors(requirement, auth.backends, route.action.type));
      if (requirement.maxAgeSeconds !== undefined) {
        // Step-up (RFC 9470): the client must have signed in within this many seconds.
        operation['x-max-age-seconds'] = requirement.maxAgeSeconds;
        const note = `Needs a sign-in within the last ${requirement.maxAgeSeconds} s (else 401 \`REAUTHENTICATION_REQUIRED\`).`;
        operation.description = operation.description ? `${operation.description}\n\n${note}` : note;
      }
      if (requirement.factors !== undefined) {
        // The sign-in must have proved this many distinct factors (amr: a password and a TOTP code are 2).
        operation['x-factors'] = requirement.factors;
        const note = `Needs a sign-in with ${requirement.factors} factors, e.g. a password and a one-time code (else 401 \`REAUTHENTICATION_REQUIRED\`).`;
        operation.description = operation.description ? `${operation.description}\n\n${note}` : note;
      }
    }
    // What the app declared itself (an @OpenAPI decorator) wins over what the library infers.
    operation.responses = { ...errors.render(), ...operation.responses };
  }

  document.openapi = '3.0.3';
  document.info = { title: 'API', version: '1.0.0', ...options.info };
  if (options.servers) document.servers = options.servers;
  document.components = {
    ...document.components,
    schemas: { ...schemas, ...LIBRARY_SCHEMAS, [AUTH_ERROR_SCHEMA]: AUTH_ERROR_SCHEMA_OBJECT },
    headers: { [WWW_AUTHENTICATE_HEADER]: WWW_AUTHENTICATE_HEADER_OBJECT, [RETRY_AFTER_HEADER]: RETRY_AFTER_HEADER_OBJECT },
    securitySchemes: schemes,
  };
  if (options.additions) deepMerge(document, options.additions);
  keepReferencedSchemas(document);
  return document;
}
