import { ErrorCode } from '../errors';
import type { JsonObject } from '../openapi/document-types';
import type { RouteContext, StatusCodes } from './route-types';
import { json } from './route-docs';

/** The pieces the OAuth controller's route declarations describe their answers with. */

export const OAUTH_QUERY = [
  { in: 'query', name: 'code', required: false, schema: { type: 'string' }, description: "The provider's authorization code." },
  { in: 'query', name: 'state', required: true, schema: { type: 'string' }, description: 'The state of the flow this browser started.' },
  { in: 'query', name: 'error', required: false, schema: { type: 'string' }, description: 'Set by the provider when the user refused.' },
];
export const OAUTH_CALLBACK_CODES = [ErrorCode.OAUTH_INVALID_STATE, ErrorCode.OAUTH_INVALID_CODE, ErrorCode.OAUTH_AUTHORIZATION_DENIED];
export const AUTHORIZATION_URL = {
  '200': {
    description: "The provider's authorization URL to send the browser to; the flow's state cookie is set.",
    content: json({ type: 'object', required: ['authorization_url'], properties: { authorization_url: { type: 'string', format: 'uri' } } }),
  },
};
const LOCATION = { Location: { schema: { type: 'string' } } };

/** A callback's failures as the controller answers them: none with `errorRedirectUrl` (they are 303s there). */
export function callbackErrors(context: RouteContext, errors: StatusCodes): StatusCodes {
  return context.controller?.errorRedirectUrl ? [] : errors;
}

/**
 * An OAuth callback's answers as the app's controller configured them: with `redirectUrl` a success
 * is a 303 there, with `errorRedirectUrl` a failure is a 303 there (`?error=CODE`) instead of its
 * `{code, message}`. Unknown options (no controller instance): both shapes.
 */
export function callbackResponses(context: RouteContext, success: JsonObject, errors: StatusCodes): JsonObject {
  const controller = context.controller;
  const known = controller !== undefined;
  const redirectUrl: string | undefined = controller?.redirectUrl;
  const errorRedirectUrl: string | undefined = controller?.errorRedirectUrl;
  const redirects: string[] = [];
  if (redirectUrl || !known) redirects.push(known ? `Signed in: to \`${redirectUrl}\`.` : 'With `redirectUrl`: to that page.');
  if (errorRedirectUrl)
    redirects.push(`Failed: to \`${errorRedirectUrl}\` with \`error\` set to the code (${errors.flatMap(([, codes]) => codes).join(', ')}).`);
  return {
    ...(redirectUrl ? {} : success),
    ...(redirects.length > 0 ? { '303': { description: redirects.join(' '), headers: LOCATION } } : {}),
  };
}
