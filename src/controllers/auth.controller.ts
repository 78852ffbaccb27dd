import { Authorized, Post, Req, Res } from 'routing-controllers';
import { Auth } from '../auth';
import type { BaseUser } from '../entities/base-user';
import { BadRequestError, ErrorCode, NotFoundError, UserNotVerifiedError } from '../errors';
import { exchangeFromParams } from '../http/request';
import { logInAfterFirstFactor } from '../flows/second-factor-login';
import { logUserOut } from '../flows/log-out';
import { refreshSession } from '../flows/refresh';
import { loginForm, refreshForm } from '../openapi/library-schemas';
import { LibraryRoute } from '../routes/route-declaration';
import { routeCall } from '../routes/route-call';
import { anyIssuingCsrf, backendOf, loginAnswers } from '../routes/route-docs';
import { withSecondFactorAnswers } from '../routes/two-factor-route-docs';
import { checkIssuingRequest, type LoginResponseBody } from '../transports/transport';
import { normaliseEmail } from '../users/emails';
import { grantScopes, parseScopeParameter } from '../users/scopes';
import { LoginCredentials, RefreshRequest, requireUsername } from './dto';
import { AuthRoutes } from './auth-routes';
import type { AuthenticationBackend } from '../backend';

/**
 * Login and logout for one backend (and refresh, when the backend has refresh tokens). Extend it
 * under the route you want and name the backend:
 *
 * ```ts
 * @JsonController('/auth/jwt')
 * class JwtAuthController extends AuthController { constructor() { super('jwt'); } }
 * ```
 */
export class AuthController<U extends BaseUser = BaseUser> extends AuthRoutes<U> {
  /** The OpenAPI tag of this controller's routes; undefined: named after the backend, e.g. "Bearer JWT". */
  protected readonly tag: string | undefined;

  /**
   * @param backendName the backend this controller logs in and out of.
   * @param boundAuth the `Auth` to use; default: the one `Auth.configure` registered in typedi
   *   (pass it when one process serves several configured apps).
   * @param options `tag`: the OpenAPI tag of its routes (default: the backend's transport and strategy, e.g. "Bearer JWT").
   */
  constructor(
    protected readonly backendName: string,
    boundAuth?: Auth<U>,
    options: { tag?: string } = {},
  ) {
    super();
    this.boundAuth = boundAuth;
    this.tag = options.tag;
  }

  /** This controller's backend, looked up once per configured `Auth` rather than on every request. */
  protected get backend(): AuthenticationBackend {
    const auth = this.auth;
    if (this.resolved?.auth !== auth) this.resolved = { auth, backend: auth.getBackend(this.backendName) };
    return this.resolved.backend;
  }

  private resolved?: { auth: Auth<U>; backend: AuthenticationBackend };

  /** What `auth.ready()` asks: the backend exists, and it is one a login can issue through (no API-key backend). */
  override async readinessProblems(): Promise<string[]> {
    const backend = this.auth.backends.find((b) => b.name === this.backendName);
    if (!backend) return [`${this.constructor.name} (an AuthController) names the "${this.backendName}" backend, which Auth.configure does not have.`];
    if (backend.strategy.sessionless)
      return [
        `${this.constructor.name} (an AuthController) logs in through the "${this.backendName}" backend, whose strategy makes no sessions (API keys are made with ApiKeysController): give it a backend with a token strategy.`,
      ];
    return [];
  }

  /**
   * `POST /login` — OAuth2 password form or JSON `{username, password, scope?}`.
   * Bearer: 200 `{access_token, token_type}` (with refresh on, also `expires_in`, `refresh_token`);
   * cookie: 204 + `Set-Cookie` (with refresh on, also the refresh cookie).
   * 400 `LOGIN_BAD_CREDENTIALS` alike for an unknown email, a wrong password or an inactive user.
   */
  @LibraryRoute({
    body: { accepts: 'json-or-form', prepare: requireUsername, dtos: () => [LoginCredentials], schema: loginForm },
    rateLimit: { action: 'login', account: (credentials: LoginCredentials) => credentials.username },
    errors: (context) => [
      [400, [ErrorCode.LOGIN_BAD_CREDENTIALS, ErrorCode.LOGIN_USER_NOT_VERIFIED]],
      ...anyIssuingCsrf(context),
      [503, [ErrorCode.AUTH_BACKEND_UNAVAILABLE]],
    ],
    docs: (context) => ({
      summary: 'Log in (OAuth2 password grant)',
      description:
        "The OAuth2 password form or JSON. `username` is the email; `scope` (space-separated) asks for a subset of the user's scopes. " +
        'With second factors on (`twoFactor`), a user who has one gets 200 `mfa_required` instead, and `POST /2fa/verify` finishes the login.',
      responses: withSecondFactorAnswers(context, loginAnswers(context)),
    }),
  })
  @Post('/login')
  async login(@Req() request: any, @Res() response: any): Promise<LoginResponseBody> {
    const auth = this.auth;
    const backend = this.backend;
    const exchange = exchangeFromParams(request, response);
    checkIssuingRequest(backend.transport, exchange);
    const [credentials] = (await routeCall(exchange).body()).dtos as [LoginCredentials];

    const user = await auth.userManager.authenticate(credentials.username, credentials.password);
    const failed = (reason: 'bad_credentials' | 'not_verified') =>
      auth.events.publish({ type: 'login.failed', email: normaliseEmail(credentials.username), reason, backend: backend.name, ip: exchange.ip });
    if (!user || !user.isActive) {
      failed('bad_credentials');
      throw new BadRequestError(ErrorCode.LOGIN_BAD_CREDENTIALS, 'Incorrect email or password.');
    }
    if (auth.requireVerification && !user.isVerified) {
      failed('not_verified');
      throw new UserNotVerifiedError();
    }
    await auth.rateLimits?.reset('login', credentials.username);
    const scopes = grantScopes(await auth.userManager.getScopes(user), parseScopeParameter(credentials.scope));
    // With second factors on, a user who has one gets `mfa_required` here; POST /2fa/verify logs in.
    return logInAfterFirstFactor(auth, backend, user, exchange, scopes);
  }

  /**
   * `POST /refresh` (backends with refresh tokens) — RFC 6749 §6: form or JSON
   * `{grant_type: "refresh_token", refresh_token, scope?}`, or the refresh cookie of a cookie
   * transport. Answers like login, with a new refresh token; the one presented is used up.
   * 400 `REFRESH_TOKEN_INVALID` for unknown, expired, used or revoked tokens (a used one also
   * ends its session) and for inactive or deleted users. Cookie backends: 403 `CSRF_FAILED` from
   * a foreign origin, wherever the token is. 429 once the client's or the session's budget is spent.
   */
  @LibraryRoute({
    // Unknown controller (documenting without an instance): described as a refresh route.
    available: (context) => !context.controller || Boolean(backendOf(context)?.refresh),
    body: { accepts: 'json-or-form', required: false, dtos: () => [RefreshRequest], schema: refreshForm },
    rateLimit: { action: 'refresh' },
    errors: (context) =>
      context.controller && !backendOf(context)?.refresh
        ? [[404, [ErrorCode.NOT_FOUND]]]
        : [[400, [ErrorCode.REFRESH_TOKEN_INVALID]], ...anyIssuingCsrf(context), [503, [ErrorCode.AUTH_BACKEND_UNAVAILABLE]]],
    docs: (context) =>
      context.controller && !backendOf(context)?.refresh
        ? { summary: 'Refresh the session (not on this backend)', description: 'This backend has no refresh tokens.', responses: {} }
        : {
            summary: 'Refresh the session (OAuth2 refresh grant, RFC 6749 §6)',
            description:
              'The refresh token as a form or JSON, or (cookie backends) the refresh cookie. Answers like login, with a new refresh token: ' +
              'the one presented is used up, and presenting a used one ends the whole session.',
            responses: loginAnswers(context),
          },
  })
  @Post('/refresh')
  async refresh(@Req() request: any, @Res() response: any): Promise<LoginResponseBody> {
    const auth = this.auth;
    const backend = this.backend;
    if (!backend.refresh) throw new NotFoundError(`The "${backend.name}" backend has no refresh tokens.`);
    const exchange = exchangeFromParams(request, response);
    const call = routeCall(exchange);
    // Whether the token comes in the body or in the refresh cookie: the answer sets the cookies.
    checkIssuingRequest(backend.transport, exchange);
    await call.countAttempt();
    const [body] = (await call.body()).dtos as [RefreshRequest];
    // class-validator's @IsOptional lets null through: a null token is no token.
    const token = typeof body.refresh_token === 'string' ? body.refresh_token : backend.transport.readRefreshToken?.(exchange);
    if (token === undefined) throw new BadRequestError(ErrorCode.REFRESH_TOKEN_INVALID, 'No refresh token was given.');
    return refreshSession(auth, backend, token, parseScopeParameter(body.scope), exchange);
  }

  /**
   * `POST /logout` — 204; revokes the token server-side where the strategy can, revokes its session
   * (refresh tokens included) and clears the cookies.
   */
  @LibraryRoute({
    // An API key is no login to end: revoke it with DELETE /api-keys/:id.
    sessionOnly: true,
    errors: () => [],
    docs: (context) => ({
      summary: 'Log out',
      backend: context.controller?.backendName,
      description: 'Destroys the token server-side where the strategy can, ends its session (refresh tokens included) and clears the cookies.',
      responses: { '204': { description: 'Logged out.' } },
    }),
  })
  @Authorized()
  @Post('/logout')
  async logout(@Req() request: any, @Res() response: any): Promise<null> {
    const auth = this.auth;
    const backend = this.backend;
    const exchange = exchangeFromParams(request, response);
    const principal = await auth.authenticateWith(this.backendName, exchange);
    if (!principal) throw auth.unauthenticatedError(undefined, { bearerRejected: false });
    await logUserOut(auth, backend, principal, exchange);
    return null;
  }
}
