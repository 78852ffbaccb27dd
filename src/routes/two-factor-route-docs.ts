import type { JsonObject } from '../openapi/document-types';
import { MFA_ENROLMENT_REQUIRED_SCHEMA, MFA_REQUIRED_SCHEMA } from '../openapi/library-schemas';
import type { RouteContext } from './route-types';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The answers of a first step that may stop for a second factor. */
export const MFA_PENDING_SCHEMAS = [ref(MFA_REQUIRED_SCHEMA), ref(MFA_ENROLMENT_REQUIRED_SCHEMA)];

/**
 * A login route's answers with second factors on (`twoFactor`): its 200 may also be `mfa_required`
 * or `mfa_enrolment_required` (a cookie backend's 204 gains that 200). Unchanged without `twoFactor`.
 */
export function withSecondFactorAnswers(context: RouteContext, responses: JsonObject): JsonObject {
  if (!context.auth.context.twoFactor) return responses;
  const ok = responses['200'] as JsonObject | undefined;
  const schema = (ok?.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined;
  const alternatives = schema?.schema ? [schema.schema as JsonObject, ...MFA_PENDING_SCHEMAS] : MFA_PENDING_SCHEMAS;
  const description = ok?.description
    ? `${String(ok.description)} Or, for a user with a second factor, \`mfa_required\` (finish at POST /2fa/verify).`
    : 'A second factor is needed: `mfa_required` (finish at POST /2fa/verify) or `mfa_enrolment_required`.';
  return { ...responses, '200': { ...ok, description, content: { 'application/json': { schema: { oneOf: alternatives } } } } };
}
