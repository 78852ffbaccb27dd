import type { Auth } from '../auth';
import { AuthController } from '../controllers/auth.controller';
import { RegisterController } from '../controllers/register.controller';
import { SessionsController } from '../controllers/sessions.controller';
import { ResetPasswordController } from '../controllers/reset-password.controller';
import { CurrentPasswordDto, EmailDto, ResetPasswordDto, TokenDto, UserAdminFieldsDto, UserCreateDto, UserUpdateDto } from '../controllers/user-dto';
import { UsersController } from '../controllers/users.controller';
import { VerifyController } from '../controllers/verify.controller';
import { ErrorCode } from '../errors';
import { OAuthController } from '../oauth/oauth.controller';
import type { JsonObject } from './document-types';
import {
  ACCEPTED_SCHEMA,
  loginForm,
  LOGIN_TOKEN_SCHEMA,
  PUBLIC_USER_SCHEMA,
  REFRESHED_LOGIN_TOKEN_SCHEMA,
  refreshForm,
  SESSION_SCHEMA,
} from './library-schemas';

/** What a description of one of the library's routes can look at. */
export interface LibraryRouteContext {
  auth: Auth<any>;
  /** The app's controller instance (its backend, its DTOs), when it could be made. */
  controller: any;
  /** Registers a class-validator DTO in `components.schemas`; returns a `$ref` to it. */
  schema(dto: Function): JsonObject;
}

/** The full description of one of the library's routes, merged over the generated operation. */
export interface LibraryOperation {
  summary: string;
  description?: string;
  parameters?: JsonObject[];
  requestBody?: JsonObject;
  /** The successful answers, by status. */
  responses: JsonObject;
  /** The failures the route itself gives, by status (`@Authorized` adds its own 401 / 403). */
  errors: Array<[number, ErrorCode[]]>;
  /** Reads a body: malformed 400 `VALIDATION_ERROR`, 413, 415. */
  readsBody?: boolean;
  /** Under the attempt limits: 429. */
  rateLimited?: boolean;
  /** Only this backend authenticates the route (logout): its scheme alone is the security requirement. */
  backend?: string;
}

type Describe = (context: LibraryRouteContext) => LibraryOperation;

const json = (schema: JsonObject) => ({ 'application/json': { schema } });
const userAnswer = (description: string) => ({ description, content: json({ $ref: `#/components/schemas/${PUBLIC_USER_SCHEMA}` }) });
const accepted = (description: string) => ({ '202': { description, content: json({ $ref: `#/components/schemas/${ACCEPTED_SCHEMA}` }) } });
const jsonBody = (schema: JsonObject) => ({ required: true, content: json(schema) });
const dtoOf = (context: LibraryRouteContext, field: string, fallback: Function): Function => context.controller?.[field] ?? fallback;

/** What logging in through `backendName` answers (both shapes when the backend is unknown). */
export function loginAnswers(context: LibraryRouteContext, backendName: string | undefined): JsonObject {
  const backend = backendName ? context.auth.backends.find((b) => b.name === backendName) : undefined;
  const scheme = backend?.transport.scheme;
  const answers: JsonObject = {};
  if (scheme !== 'cookie') {
    const schema = backend?.refresh ? REFRESHED_LOGIN_TOKEN_SCHEMA : LOGIN_TOKEN_SCHEMA;
    answers['200'] = {
      description: 'Logged in (bearer backend): the access token. `Cache-Control: no-store`.',
      content: json({ $ref: `#/components/schemas/${schema}` }),
    };
  }
  if (scheme !== 'bearer') {
    answers['204'] = {
      description: `Logged in (cookie backend): the session cookie is set (HttpOnly)${backend?.refresh ? ', and the refresh cookie' : ''}.`,
      headers: { 'Set-Cookie': { description: 'The session cookie.', schema: { type: 'string' } } },
    };
  }
  return answers;
}

/** A social sign-in's start through a cookie backend passes the login origin check (unknown backend: it may). */
function flowStartCsrf(context: LibraryRouteContext): Array<[number, ErrorCode[]]> {
  const name = context.controller?.backendName;
  const backend = typeof name === 'string' ? context.auth.backends.find((b) => b.name === name) : undefined;
  const cookie = backend ? backend.transport.scheme === 'cookie' : context.auth.backends.some((b) => b.transport.scheme === 'cookie');
  return cookie ? [[403, [ErrorCode.CSRF_FAILED]]] : [];
}

/** The controller's backend, when it has refresh tokens. */
function refreshOf(context: LibraryRouteContext) {
  const name = context.controller?.backendName;
  return name ? context.auth.backends.find((b) => b.name === name)?.refresh : undefined;
}

const OAUTH_QUERY = [
  { in: 'query', name: 'code', required: false, schema: { type: 'string' }, description: "The provider's authorization code." },
  { in: 'query', name: 'state', required: true, schema: { type: 'string' }, description: 'The state of the flow this browser started.' },
  { in: 'query', name: 'error', required: false, schema: { type: 'string' }, description: 'Set by the provider when the user refused.' },
];
const OAUTH_CALLBACK_CODES = [ErrorCode.OAUTH_INVALID_STATE, ErrorCode.OAUTH_INVALID_CODE, ErrorCode.OAUTH_AUTHORIZATION_DENIED];
const AUTHORIZATION_URL = {
  '200': {
    description: "The provider's authorization URL to send the browser to; the flow's state cookie is set.",
    content: json({ type: 'object', required: ['authorization_url'], properties: { authorization_url: { type: 'string', format: 'uri' } } }),
  },
};
const LOCATION = { Location: { schema: { type: 'string' } } };

/**
 * An OAuth callback's answers as the app's controller configured them: with `redirectUrl` a success
 * is a 303 there, with `errorRedirectUrl` a failure is a 303 there (`?error=CODE`) instead of its
 * `{code, message}`. Unknown options (no controller instance): both shapes.
 */
function oauthCallback(
  context: LibraryRouteContext,
  success: JsonObject,
  errors: Array<[number, ErrorCode[]]>,
): Pick<LibraryOperation, 'responses' | 'errors'> {
  const controller = context.controller;
  const known = controller !== undefined;
  const redirectUrl: string | undefined = controller?.redirectUrl;
  const errorRedirectUrl: string | undefined = controller?.errorRedirectUrl;
  const redirects: string[] = [];
  if (redirectUrl || !known) redirects.push(known ? `Signed in: to \`${redirectUrl}\`.` : 'With `redirectUrl`: to that page.');
  if (errorRedirectUrl)
    redirects.push(`Failed: to \`${errorRedirectUrl}\` with \`error\` set to the code (${errors.flatMap(([, codes]) => codes).join(', ')}).`);
  return {
    responses: {
      ...(redirectUrl ? {} : success),
      ...(redirects.length > 0 ? { '303': { description: redirects.join(' '), headers: LOCATION } } : {}),
    },
    errors: errorRedirectUrl ? [] : errors,
  };
}

/**
 * The library's routes, by the base controller that declares them and the method's name. One
 * entry per route: adding a route to a base controller means adding its line here.
 */
function describeLibraryRoutes(): Map<Function, Record<string, Describe>> {
  return new Map<Function, Record<string, Describe>>([
    [
      AuthController,
      {
        login: (context) => ({
          summary: 'Log in (OAuth2 password grant)',
          description: "The OAuth2 password form or JSON. `username` is the email; `scope` (space-separated) asks for a subset of the user's scopes.",
          requestBody: {
            required: true,
            content: { 'application/x-www-form-urlencoded': { schema: loginForm() }, 'application/json': { schema: loginForm() } },
          },
          responses: loginAnswers(context, context.controller?.backendName),
          errors: [
            [400, [ErrorCode.LOGIN_BAD_CREDENTIALS, ErrorCode.LOGIN_USER_NOT_VERIFIED]],
            ...(context.auth.backends.some((b) => b.transport.scheme === 'cookie') ? ([[403, [ErrorCode.CSRF_FAILED]]] as Array<[number, ErrorCode[]]>) : []),
            [503, [ErrorCode.AUTH_BACKEND_UNAVAILABLE]],
          ],
          readsBody: true,
          rateLimited: true,
        }),
        refresh: (context) =>
          context.controller && !refreshOf(context)
            ? {
                summary: 'Refresh the session (not on this backend)',
                description: 'This backend has no refresh tokens.',
                responses: {},
                errors: [[404, [ErrorCode.NOT_FOUND]]],
              }
            : {
                summary: 'Refresh the session (OAuth2 refresh grant, RFC 6749 §6)',
                description:
                  'The refresh token as a form or JSON, or (cookie backends) the refresh cookie. Answers like login, with a new refresh token: ' +
                  'the one presented is used up, and presenting a used one ends the whole session.',
                requestBody: {
                  required: false,
                  content: { 'application/x-www-form-urlencoded': { schema: refreshForm() }, 'application/json': { schema: refreshForm() } },
                },
                responses: loginAnswers(context, context.controller?.backendName),
                errors: [
                  [400, [ErrorCode.REFRESH_TOKEN_INVALID]],
                  ...(context.auth.backends.some((b) => b.transport.scheme === 'cookie')
                    ? ([[403, [ErrorCode.CSRF_FAILED]]] as Array<[number, ErrorCode[]]>)
                    : []),
                  [503, [ErrorCode.AUTH_BACKEND_UNAVAILABLE]],
                ],
                readsBody: true,
                rateLimited: true,
              },
        logout: (context) => ({
          summary: 'Log out',
          backend: context.controller?.backendName,
          description: 'Destroys the token server-side where the strategy can, ends its session (refresh tokens included) and clears the cookies.',
          responses: { '204': { description: 'Logged out.' } },
          errors: [],
        }),
      },
    ],
    [
      RegisterController,
      {
        register: (context) => ({
          summary: 'Register a user',
          description: '`id`, `isActive`, `isSuperuser`, `isVerified` and `scopes` cannot be set here.',
          requestBody: jsonBody(context.schema(dtoOf(context, 'createDto', UserCreateDto))),
          responses: context.auth.enumerationSafeRegistration
            ? accepted('Accepted alike for new and existing emails (no account enumeration).')
            : { '201': userAnswer('The new user.') },
          errors: [
            [
              400,
              context.auth.enumerationSafeRegistration
                ? [ErrorCode.REGISTER_INVALID_PASSWORD]
                : [ErrorCode.REGISTER_USER_ALREADY_EXISTS, ErrorCode.REGISTER_INVALID_PASSWORD],
            ],
          ],
          readsBody: true,
          rateLimited: true,
        }),
      },
    ],
    [
      VerifyController,
      {
        requestVerifyToken: (context) => ({
          summary: 'Ask for a verification token (sent by the app, e.g. by email)',
          requestBody: jsonBody(context.schema(EmailDto)),
          responses: accepted('Always accepted (no account enumeration).'),
          errors: [],
          readsBody: true,
          rateLimited: true,
        }),
        verify: (context) => ({
          summary: 'Verify a user with its token',
          requestBody: jsonBody(context.schema(TokenDto)),
          responses: { '200': userAnswer('The user, now verified.') },
          errors: [[400, [ErrorCode.VERIFY_USER_BAD_TOKEN, ErrorCode.VERIFY_USER_ALREADY_VERIFIED]]],
          readsBody: true,
          rateLimited: true,
        }),
      },
    ],
    [
      ResetPasswordController,
      {
        forgotPassword: (context) => ({
          summary: 'Ask for a password-reset token (sent by the app, e.g. by email)',
          requestBody: jsonBody(context.schema(EmailDto)),
          responses: accepted('Always accepted (no account enumeration).'),
          errors: [],
          readsBody: true,
          rateLimited: true,
        }),
        resetPassword: (context) => ({
          summary: 'Reset the password with a reset token (single-use)',
          requestBody: jsonBody(context.schema(ResetPasswordDto)),
          responses: { '200': userAnswer('The user; every token it had is revoked.') },
          errors: [[400, [ErrorCode.RESET_PASSWORD_BAD_TOKEN, ErrorCode.RESET_PASSWORD_INVALID_PASSWORD]]],
          readsBody: true,
          rateLimited: true,
        }),
      },
    ],
    [
      UsersController,
      {
        me: () => ({ summary: 'The current user', responses: { '200': userAnswer('The current user.') }, errors: [] }),
        updateMe: (context) => ({
          summary: 'Update the current user',
          description:
            'A new email resets `isVerified`; a new password revokes every token of the user. `isActive`, `isSuperuser`, `isVerified` and `scopes` are ignored. ' +
            "Changing the password or the email needs `currentPassword` (each try counts in the account's login budget); an account without a password of its own needs a recent sign-in instead (else 401 `REAUTHENTICATION_REQUIRED`).",
          requestBody: jsonBody({ allOf: [context.schema(dtoOf(context, 'updateDto', UserUpdateDto)), context.schema(CurrentPasswordDto)] }),
          responses: { '200': userAnswer('The updated user.') },
          errors: [
            [400, [ErrorCode.UPDATE_USER_EMAIL_ALREADY_EXISTS, ErrorCode.UPDATE_USER_INVALID_PASSWORD, ErrorCode.CURRENT_PASSWORD_INVALID]],
            [401, [ErrorCode.REAUTHENTICATION_REQUIRED]],
          ],
          readsBody: true,
          rateLimited: true,
        }),
        getUser: () => ({
          summary: 'A user (superuser)',
          responses: { '200': userAnswer('The user.') },
          errors: [[404, [ErrorCode.NOT_FOUND]]],
        }),
        updateUser: (context) => ({
          summary: 'Update a user (superuser)',
          description: "Also sets `isActive`, `isSuperuser`, `isVerified` and `scopes`; taking rights away revokes the user's tokens.",
          requestBody: jsonBody({
            allOf: [context.schema(dtoOf(context, 'updateDto', UserUpdateDto)), context.schema(dtoOf(context, 'adminFieldsDto', UserAdminFieldsDto))],
          }),
          responses: { '200': userAnswer('The updated user.') },
          errors: [
            [400, [ErrorCode.UPDATE_USER_EMAIL_ALREADY_EXISTS, ErrorCode.UPDATE_USER_INVALID_PASSWORD]],
            [404, [ErrorCode.NOT_FOUND]],
          ],
          readsBody: true,
        }),
        deleteUser: () => ({
          summary: 'Delete a user (superuser)',
          responses: { '204': { description: 'Deleted; its tokens stop working at once.' } },
          errors: [[404, [ErrorCode.NOT_FOUND]]],
        }),
      },
    ],
    [
      SessionsController,
      {
        list: () => ({
          summary: "The current user's live sessions",
          responses: {
            '200': {
              description: "Oldest first; `current` marks the request's own.",
              content: json({ type: 'array', items: { $ref: `#/components/schemas/${SESSION_SCHEMA}` } }),
            },
          },
          errors: [],
        }),
        end: () => ({
          summary: "End one of the current user's sessions",
          responses: { '204': { description: 'Ended, with its tokens.' } },
          errors: [[404, [ErrorCode.NOT_FOUND]]],
        }),
        endOthers: () => ({
          summary: 'End every other session of the current user',
          responses: { '204': { description: 'Every session but the current one ended.' } },
          errors: [],
        }),
      },
    ],
    [
      OAuthController,
      {
        authorize: (context) => ({
          summary: 'Start signing in with the provider',
          responses: AUTHORIZATION_URL,
          errors: [...flowStartCsrf(context), [502, [ErrorCode.OAUTH_PROVIDER_ERROR]]],
        }),
        callback: (context) => ({
          summary: "The provider's callback: signs in, creating the user on first sign-in",
          parameters: OAUTH_QUERY,
          ...oauthCallback(context, loginAnswers(context, context.controller?.backendName), [
            [400, [...OAUTH_CALLBACK_CODES, ErrorCode.OAUTH_USER_ALREADY_EXISTS, ErrorCode.OAUTH_EMAIL_NOT_AVAILABLE, ErrorCode.LOGIN_USER_NOT_VERIFIED]],
            [502, [ErrorCode.OAUTH_PROVIDER_ERROR]],
            [503, [ErrorCode.AUTH_BACKEND_UNAVAILABLE]],
          ]),
        }),
        associateAuthorize: (context) => ({
          summary: 'Start linking a provider account to the current user',
          responses: AUTHORIZATION_URL,
          errors: [...flowStartCsrf(context), [502, [ErrorCode.OAUTH_PROVIDER_ERROR]]],
        }),
        associateCallback: (context) => ({
          summary: "The provider's callback for linking: links the account to the current user",
          parameters: OAUTH_QUERY,
          ...oauthCallback(context, { '200': userAnswer('The current user, now linked.') }, [
            [400, [...OAUTH_CALLBACK_CODES, ErrorCode.OAUTH_ACCOUNT_ALREADY_LINKED]],
            [502, [ErrorCode.OAUTH_PROVIDER_ERROR]],
          ]),
        }),
      },
    ],
  ]);
}

let table: Map<Function, Record<string, Describe>> | undefined;

/** The description of `method` as declared on `declaredOn`, when it is one of the library's routes. */
export function libraryRoute(declaredOn: Function, method: string): Describe | undefined {
  table ??= describeLibraryRoutes(); // built on first use: the controllers import the Auth that imports this
  return table.get(declaredOn)?.[method];
}
