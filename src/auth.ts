import type { Action } from 'routing-controllers';
import { Container } from 'typedi';
import type { DataSource } from 'typeorm';
import type { Principal, Resolution } from './authenticator';
import type { AuthenticationBackend } from './backend';
import type { ConfiguredAuth } from './configured-auth';
import type { AuthContext } from './context/auth-context';
import type { AuthOptions, ReadyOptions } from './context/auth-options';
import { setDefaultAppFailures } from './context/failure-sink';
import { pluginProblems } from './context/readiness';
import { resolveAuthContext } from './context/resolve-context';
import type { BaseUser } from './entities/base-user';
import { AuthConfigurationError } from './errors';
import { limitAttempt } from './flows/limit-attempt';
import { revokeAllTokens } from './flows/revoke-all';
import { exchangeFromAction, type HttpExchange } from './http/request';
import type { OAuthAccountStores } from './oauth/account-stores';
import type { OpenApiOptions } from './openapi/build-document';
import type { OpenApiDocument } from './openapi/document-types';
import type { SwaggerUiOptions } from './openapi/swagger-ui';
import type { JwksOptions } from './jwks/jwks-controller';
import type { JwkSet } from './strategies/jwk';
import { appJwks } from './jwks/app-jwks';
import type { FailureReporter } from './request-failures';
import { expressMiddleware, koaMiddleware } from './requests/middleware';
import { RequestGuard } from './requests/request-guard';
import { installRoutingPatches } from './routing/patches';
import { assertRoutingPatchesApplied } from './routing/patch-problems';
import type { AuthEvents } from './security/events';
import type { RateLimitedAction, RateLimits } from './security/rate-limits';
import type { Sessions } from './sessions/sessions';
import type { TokenRequest } from './strategies/strategy';
import { UserManager } from './users/user-manager';
import type { UserStore } from './users/user-store';
import { controllerProblems } from './controllers/controller-readiness';

export type { AuthOptions, ReadyOptions } from './context/auth-options';

/**
 * The configured library, as apps and base controllers use it: checkers for routing-controllers,
 * the middleware, the user manager and programmatic tokens. A facade: the app's configuration is
 * resolved once into its frozen `context`, the request layer and the login / refresh / logout flows
 * work on that context, and each member here delegates. Made by `Auth.configure`, which also
 * registers it (and the user manager) in typedi's Container for the base controllers: the default
 * app. Several apps in one process each have their own `Auth`, bound to their controllers.
 */
export class Auth<U extends BaseUser = BaseUser> implements ConfiguredAuth<U> {
  /** The app's configuration, resolved once and frozen: what the request layer and the flows work on. */
  readonly context: AuthContext<U>;
  readonly backends: readonly AuthenticationBackend[];
  readonly userManager: UserManager<U>;
  readonly userStore: UserStore<U>;
  /** The DataSource given to `configure`, if any (social login keeps its account links there). */
  readonly dataSource: DataSource | undefined;
  /** The stores of social-login account links (`oauthAccounts`, or the DataSource's `OAuthAccount` entity). */
  readonly oauthAccounts: OAuthAccountStores;
  readonly requireVerification: boolean;
  readonly enumerationSafeRegistration: boolean;
  /** Undefined when `rateLimits: false`. */
  readonly rateLimits: RateLimits | undefined;
  /** The scopes declared with `Auth.configure({ scopes })`, with their descriptions. */
  readonly scopes: Readonly<Record<string, string>>;
  /** Login, logout, rejected tokens, resets and rate limiting, for audit logs and alerting. */
  readonly events: AuthEvents;
  /** Sessions of the backends with refresh tokens: list, revoke, purge. */
  readonly sessions: Sessions;
  /** Seconds a sign-in stands in for the current password (accounts without one). */
  readonly recentSignInMaxAgeSeconds: number;
  /**
   * Reports a bug met while serving a request: the server log gets it with its stack (a
   * misconfiguration: one line with its fix, once), and this app's `internal.error` listeners
   * (error trackers) get the error. The client gets a 500 `{code, message}`.
   */
  readonly reportFailure: FailureReporter;
  /**
   * routing-controllers' `authorizationChecker`: 401 without a valid credential, 403
   * `INSUFFICIENT_SCOPE` when the credential lacks one of the listed scopes, 401
   * `REAUTHENTICATION_REQUIRED` when `@Authorized({ maxAgeSeconds })` finds the sign-in too old.
   */
  readonly authorizationChecker: (action: Action, roles?: unknown[]) => boolean | Promise<boolean>;
  /** routing-controllers' `currentUserChecker`: the authenticated user, or null. */
  readonly currentUserChecker: (action: Action) => U | null | Promise<U | null>;
  private readonly guard: RequestGuard<U>;

  static configure<U extends BaseUser>(options: AuthOptions<U>): Auth<U> {
    // The library's changes to routing-controllers (see src/routing/patches.ts) must all be in place.
    assertRoutingPatchesApplied();
    const auth = new Auth(options);
    // The default app: base controllers not bound to another Auth use it, and so do failures no app claims.
    Container.set(Auth, auth);
    setDefaultAppFailures(auth.context.failures);
    Container.set(UserManager, auth.userManager);
    if (options.userManager) Container.set(options.userManager, auth.userManager);
    return auth;
  }

  /** The instance `Auth.configure` registered; base controllers use it. */
  static current<U extends BaseUser = BaseUser>(): Auth<U> {
    if (!Container.has(Auth)) throw new AuthConfigurationError('Call Auth.configure(...) before serving requests.');
    return Container.get(Auth) as Auth<U>;
  }

  constructor(options: AuthOptions<U>) {
    installRoutingPatches();
    const context = resolveAuthContext(options, { revokeAllTokens: (userId, revokeOptions) => this.revokeAllTokens(userId, revokeOptions) });
    this.context = context;
    this.backends = context.backends.list;
    this.userManager = context.users.manager;
    this.userStore = context.users.store;
    this.dataSource = context.dataSource;
    this.oauthAccounts = context.oauthAccounts;
    this.requireVerification = context.users.requireVerification;
    this.enumerationSafeRegistration = context.users.enumerationSafeRegistration;
    this.rateLimits = context.rateLimits;
    this.scopes = context.scopes;
    this.events = context.events;
    this.sessions = context.sessions;
    this.recentSignInMaxAgeSeconds = context.stepUp.recentSignInMaxAgeSeconds;
    this.reportFailure = context.failures.report;
    this.guard = new RequestGuard(context);
    this.authorizationChecker = this.guard.authorizationChecker;
    this.currentUserChecker = this.guard.currentUserChecker;
  }

  /**
   * Confirms at start-up what would otherwise fail on the first request, so a misconfigured app
   * stops before serving: the DataSource is initialised; the user entity and every entity a
   * strategy or session store needs (`AccessToken`, `JwtRevocation`, `AuthSession`, `RefreshToken`)
   * are registered with it; every node-redis client given to a strategy, a store or the rate limits
   * is connected; and each `OAuthController` has its backend (a cookie one for `redirectUrl`, with
   * `refresh.cookiePath` when it keeps refresh tokens), its `OAuthAccount` entity and a connected
   * state store. It also decides, once, how the user is loaded on the request path. Throws one
   * `AuthConfigurationError` listing each problem once, with its fix. Call it after
   * `await dataSource.initialize()` (and `await redis.connect()`).
   */
  async ready(options: ReadyOptions = {}): Promise<this> {
    const problems = await pluginProblems(this.context);
    for (const problem of await controllerProblems(this, options.controllers)) problems.add(problem);
    const list = [...problems];
    if (list.length === 1) throw new AuthConfigurationError(list[0]);
    if (list.length > 1) throw new AuthConfigurationError(`Auth is not ready:\n- ${list.join('\n- ')}`);
    return this;
  }

  /**
   * The app's OpenAPI 3 document: every route of its controllers (inherited ones too), one
   * security scheme per backend (bearer: the OAuth2 password flow at its `tokenUrl` with the
   * declared scopes; cookie: an `apiKey` in the cookie), each `@Authorized(scopes)` route with its
   * security requirement and its 401 / 403 answers, and the library's routes with their bodies,
   * answers and error codes. Serve it (e.g. at `/openapi.json`) to Swagger UI.
   */
  openApi(options: OpenApiOptions = {}): OpenApiDocument {
    // Loaded here: the OpenAPI generators weigh a few MB that an app not serving a document never needs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildOpenApiDocument } = require('./openapi/build-document') as typeof import('./openapi/build-document');
    return buildOpenApiDocument(this, options);
  }

  /**
   * A controller to add to routing-controllers' `controllers` (Express or Koa): Swagger UI at
   * `/docs`, served from the bundled swagger-ui-dist files (no CDN, a strict Content-Security-Policy),
   * and this app's document (`auth.openApi(options.openApi)`, built at its first request) at
   * `/openapi.json`. Its own routes stay out of the document.
   */
  swaggerUi(options: SwaggerUiOptions = {}): Function {
    // Loaded here, as for openApi(): an app without a docs page never reads these modules.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { swaggerUiController } = require('./openapi/swagger-ui') as typeof import('./openapi/swagger-ui');
    let document = options.document;
    return swaggerUiController(() => (document ??= this.openApi(options.openApi)), options);
  }

  /**
   * The app's RFC 7517 JWK Set: the public keys of every JwtStrategy signing with an RS*, PS* or
   * ES* key: the current key and each previous key still in its window, each with `kid`, `alg` and
   * `use: 'sig'`, never a private member. Throws `AuthConfigurationError` when the app has no such
   * strategy (HS secrets are never published), when a key cannot be exported (an RSA-PSS key), or
   * when two different keys share a `kid`.
   */
  jwks(): JwkSet {
    return appJwks(this.backends);
  }

  /**
   * A controller to add to routing-controllers' `controllers` (Express or Koa) serving `jwks()` at
   * `GET /.well-known/jwks.json` with `Cache-Control: public, max-age=300` (see `JwksOptions`), so
   * other services verify this app's tokens. It appears in the OpenAPI document. Throws
   * `AuthConfigurationError` at once when the app has no key to publish.
   */
  jwksController(options: JwksOptions = {}): Function {
    // Loaded here, as for swaggerUi(): an app not publishing keys never reads the controller's module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { jwksController } = require('./jwks/jwks-controller') as typeof import('./jwks/jwks-controller');
    return jwksController(this, () => this.jwks(), options);
  }

  getBackend(name: string): AuthenticationBackend {
    return this.context.backends.named(name);
  }

  /** The request's principal (user, granted scopes, backend), or null. Cached per request. */
  async authenticate(action: Action): Promise<Principal<U> | null> {
    return this.guard.principalFor(exchangeFromAction(action));
  }

  /**
   * Express middleware for code outside controllers: sets `req.user` (null when anonymous)
   * and `req.auth` (the principal). A refused request (CSRF, store down) goes to `next(error)`.
   */
  middleware(): (req: any, res: any, next: (error?: unknown) => void) => void {
    return expressMiddleware(this.guard.authenticator, this.context.failures);
  }

  /**
   * Koa middleware for code outside controllers: sets `ctx.state.user` (null when anonymous) and
   * `ctx.state.auth` (the principal). A refused request (CSRF, store down) throws its error.
   */
  koaMiddleware(): (ctx: any, next: () => Promise<unknown>) => Promise<void> {
    return koaMiddleware(this.guard.authenticator, this.context.failures);
  }

  /** The principal of a request a controller is serving (cached per request), or null; throws a refusal. */
  async principalFor(exchange: HttpExchange): Promise<Principal<U> | null> {
    return this.guard.principalFor(exchange);
  }

  /** Authentication with one named backend (what `AuthController` logout uses). */
  async authenticateWith(backendName: string, exchange: HttpExchange): Promise<Principal<U> | null> {
    return this.guard.authenticator.authenticateWith(this.getBackend(backendName), exchange);
  }

  /**
   * A token made in code (fastapi-login's `create_access_token`). Code is trusted: the scopes
   * given are granted as they are. Defaults: the first backend, all the user's scopes, the
   * strategy's lifetime.
   */
  async createToken(
    user: U,
    options: { backend?: string; scopes?: string[]; lifetimeSeconds?: number | null; authTime?: Date; amr?: string[] } = {},
  ): Promise<string> {
    const backend = options.backend ? this.getBackend(options.backend) : this.backends[0];
    const scopes = options.scopes ?? (await this.userManager.getScopes(user));
    const lifetimeSeconds = options.lifetimeSeconds === undefined ? backend.strategy.lifetimeSeconds : options.lifetimeSeconds;
    const request: TokenRequest = { userId: user.id, scopes: [...scopes], lifetimeSeconds };
    // Without `authTime` the token stands for no sign-in: it never passes a step-up check.
    if (options.authTime !== undefined) request.authTime = options.authTime;
    if (options.amr !== undefined) request.amr = [...options.amr];
    return backend.strategy.write(request);
  }

  /**
   * Throws 401 `REAUTHENTICATION_REQUIRED` (RFC 9470 challenge with `max_age`) unless the
   * principal's sign-in is at most `maxAgeSeconds` old.
   */
  requireRecentSignIn(principal: Principal<U>, maxAgeSeconds: number = this.recentSignInMaxAgeSeconds): void {
    this.guard.requireRecentSignIn(principal, maxAgeSeconds);
  }

  /**
   * Throws 401 `UNAUTHORIZED` when the principal is an API key (`principal.kind === 'api_key'`): for a
   * route of the app's that only a signed-in session may use, checked in the handler.
   */
  requireSession(principal: Principal<U>): void {
    this.guard.requireSession(principal);
  }

  /**
   * Counts an attempt at a limited route; throws 429 `TOO_MANY_REQUESTS` when a budget is spent.
   * `perIp: false` counts only the account (its client's attempt was counted already).
   */
  async limitAttempt(action: RateLimitedAction, exchange: HttpExchange, account?: string, options: { perIp?: boolean } = {}): Promise<void> {
    await limitAttempt(this.context, action, exchange, account, options);
  }

  /**
   * Revokes every session of the user and every token of theirs in every backend whose strategy
   * can ("log out everywhere"). `exceptSessionId` spares one session (the one changing the
   * password); a JWT revocation cut-off still takes that session's access tokens, which its
   * refresh token replaces.
   */
  async revokeAllTokens(userId: string, options: { exceptSessionId?: string } = {}): Promise<void> {
    await revokeAllTokens(this.context, userId, options);
  }

  /** The 401 for this request (or the app's `onUnauthenticated` error). */
  unauthenticatedError(action: Action | undefined, resolution: Pick<Resolution<U>, 'bearerRejected' | 'rejectionAnswer'>): Error {
    return this.guard.unauthenticatedError(action, resolution);
  }
}
