import type { AuthenticationBackend } from '../backend';
import { ErrorCode } from '../errors';
import type { JsonObject } from '../openapi/document-types';
import { ACCEPTED_SCHEMA, PUBLIC_USER_SCHEMA } from '../openapi/library-schemas';
import { describeTransport, genericLoginResponses } from '../openapi/transport-descriptions';
import type { RouteBody, RouteContext, StatusCodes } from './route-types';

/** The pieces the library's route declarations describe their answers with. */

export const json = (schema: JsonObject) => ({ 'application/json': { schema } });
export const userAnswer = (description: string) => ({ description, content: json({ $ref: `#/components/schemas/${PUBLIC_USER_SCHEMA}` }) });
export const accepted = (description: string) => ({ '202': { description, content: json({ $ref: `#/components/schemas/${ACCEPTED_SCHEMA}` }) } });

/** The request body a declared `body` documents: its schema (one DTO, all of several, or its own), as JSON or also as a form. */
export function requestBodyOf(body: RouteBody, context: RouteContext): JsonObject {
  let schema: JsonObject;
  if (body.schema) schema = body.schema(context);
  else {
    const dtos = [...(body.dtos?.(context.controller) ?? []), ...(body.documentedDtos?.(context.controller) ?? [])].map((dto) => context.schema(dto));
    schema = dtos.length === 1 ? dtos[0] : { allOf: dtos };
  }
  const content: JsonObject = body.accepts === 'json' ? json(schema) : { 'application/x-www-form-urlencoded': { schema }, ...json(schema) };
  return { required: body.required ?? true, content };
}

/** The controller's backend (`backendName`), when it names one the configuration has. */
export function backendOf(context: RouteContext): AuthenticationBackend | undefined {
  const name = context.controller?.backendName;
  return typeof name === 'string' ? context.auth.backends.find((b) => b.name === name) : undefined;
}

/** What logging in through the controller's backend answers, as its transport says (both shapes when the backend is unknown). */
export function loginAnswers(context: RouteContext): JsonObject {
  const backend = backendOf(context);
  return backend ? describeTransport(backend.transport).loginResponses(Boolean(backend.refresh)) : genericLoginResponses(false);
}

/**
 * 403 `CSRF_FAILED` for a request issuing credentials through the controller's backend, when its
 * transport checks the origin of such requests (unknown backend: when any backend's does).
 */
export function issuingCsrf(context: RouteContext): StatusCodes {
  const backend = backendOf(context);
  const checked = (b: AuthenticationBackend) => describeTransport(b.transport).originChecks.issuing;
  return (backend ? checked(backend) : context.auth.backends.some(checked)) ? [[403, [ErrorCode.CSRF_FAILED]]] : [];
}

/** 403 `CSRF_FAILED` when any backend's transport checks the origin of requests issuing credentials. */
export function anyIssuingCsrf(context: RouteContext): StatusCodes {
  return context.auth.backends.some((b) => describeTransport(b.transport).originChecks.issuing) ? [[403, [ErrorCode.CSRF_FAILED]]] : [];
}
