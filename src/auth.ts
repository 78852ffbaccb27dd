import type { Action } from 'routing-controllers';
import { Container } from 'typedi';
import type { DataSource, EntityTarget } from 'typeorm';
import { Authenticator, type Principal, type Resolution } from './authenticator';
import type { AuthenticationBackend } from './backend';
import type { BaseUser } from './entities/base-user';
import { databaseOutages } from './stores/outage-log';
import {
  AuthConfigurationError,
  BackendUnavailableError,
  InsufficientScopeError,
  ReauthenticationRequiredError,
  TooManyRequestsError,
  UnauthorizedError,
} from './errors';
import { type AccessRequirement, accessRequirementOf, isRecentSignIn } from './security/access-requirement';
import type { TokenRequest } from './strategies/strategy';
import { type AuthEvent, AuthEvents } from './security/events';
import { attachDefaultSessionStores } from './sessions/default-stores';
import { Sessions } from './sessions/sessions';
import { exchangeFromAction, exchangeFromExpress, exchangeFromKoa, type HttpExchange } from './http/request';
import { preparingErrorAnswer } from './http/error-answer';
import { type FailureReporter, logFailure, reportRouteFailuresTo } from './request-failures';
import type { OpenApiOptions } from './openapi/build-document';
import type { OpenApiDocument } from './openapi/document-types';
import type { SwaggerUiOptions } from './openapi/swagger-ui';
import { installRoutingPatches } from './routing/patches';
import { type RateLimitedAction, type RateLimitOptions, RateLimits } from './security/rate-limits';
import { Argon2PasswordHasher, type PasswordHasher } from './users/password';
import { hasAllScopes } from './users/scopes';
import { UserManager, type UserManagerContext } from './users/user-manager';
import { TypeOrmUserStore, type UserStore } from './users/user-store';
import { UserTokens } from './users/user-tokens';
import type { OAuthAccountStore } from './oauth/account-store';
import { OAuthAccountStores } from './oauth/account-stores';
import { assertRoutingPatchesApplied } from './routing/patch-problems';
import { controllerProblems } from './controllers/controller-readiness';

/** Five minutes, as Keycloak's default maximum age of authentication for sensitive actions. */
const DEFAULT_RECENT_SIGN_IN_SECONDS = 300;

export interface AuthOptions<U extends BaseUser> {
  /** Holds the users (and `AccessToken`s for the database strategy). Optional with a custom `userStore`. */
  dataSource?: DataSource;
  /** The app's user entity, a subclass of `BaseUser`. Optional with a custom `userStore`. */
  userEntity?: EntityTarget<U>;
  /** At least 32 bytes; signs reset and verify tokens. */
  secret: string;
  /** Tried in order for every request; the first that yields an active user wins. */
  backends: AuthenticationBackend[];
  /** A `UserManager` subclass with the app's hooks. */
  userManager?: new (context: UserManagerContext<U>) => UserManager<U>;
  /** Where users are loaded from; default: TypeORM through `dataSource` and `userEntity`. */
  userStore?: UserStore<U>;
  /** Refuse login to unverified users (`LOGIN_USER_NOT_VERIFIED`). Default false. */
  requireVerification?: boolean;
  /**
   * `POST /register` answers 202 alike for new and existing emails (the account is created, or
   * `UserManager.onRegisterExistingEmail` called, after the response), so registration cannot be
   * used to learn which emails have accounts. Default false: 201 with the user, 400 when taken.
   */
  enumerationSafeRegistration?: boolean;
  /** Return an error to throw instead of the 401 (e.g. a redirect for browsers); nothing keeps the 401. */
  onUnauthenticated?: (action: Action) => Error | undefined | void;
  passwordHasher?: PasswordHasher;
  /** Default 3600. */
  verifyTokenLifetimeSeconds?: number;
  /** Default 3600. */
  resetTokenLifetimeSeconds?: number;
  /**
   * Attempt limits for login, register, verify and reset routes, per client IP and per account
   * (memory by default; give a Redis client for several instances). `false` turns them off.
   */
  rateLimits?: RateLimitOptions | false;
  /** Called with every auth event (also available as `auth.events`). Never given tokens or passwords. */
  onEvent?: (event: AuthEvent) => void;
  /**
   * The app's scopes with their descriptions, e.g. `{ 'items:write': 'Create and change items' }`.
   * They appear in the OpenAPI document (`auth.openApi()`), where Swagger UI's "Authorize" offers
   * them; a route asking for an undeclared scope is reported when the document is built.
   * `superuser` is the library's and always declared.
   */
  scopes?: Record<string, string>;
  /**
   * How recent a sign-in proves the user is at the keyboard, for an account without a usable
   * password (social sign-in only) changing its email or password. Default 300 s (5 minutes).
   */
  recentSignInMaxAgeSeconds?: number;
  /**
   * Where social login keeps its provider-account links (every store, when controllers use
   * several). Email verification and password reset remove from them the links made without
   * proof of the email. Default: the `OAuthAccount` entity in `dataSource`, when registered there.
   */
  oauthAccounts?: OAuthAccountStore | OAuthAccountStore[];
}

/** Options of `auth.ready()`. */
export interface ReadyOptions {
  /**
   * The controllers the app gives routing-controllers; those built on the library's controllers
   * (`OAuthController`) are checked for what they need. Default: every controller class
   * routing-controllers knows of, as for `auth.openApi()`; give the list when one process holds
   * several apps.
   */
  controllers?: Function[];
}

/**
 * The configured library: checkers for routing-controllers, the middleware, the user manager
 * and programmatic tokens. Made by `Auth.configure`, which also registers it (and the user
 * manager) in typedi's Container for the base controllers.
 */
export class Auth<U extends BaseUser = BaseUser> {
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
  readonly events = new AuthEvents();
  /** Sessions of the backends with refresh tokens: list, end, purge. */
  readonly sessions: Sessions;
  /** Seconds a sign-in stands in for the current password (accounts without one). */
  readonly recentSignInMaxAgeSeconds: number;
  private readonly authenticator: Authenticator<U>;
  private readonly onUnauthenticated?: AuthOptions<U>['onUnauthenticated'];
  private readonly hasBearerBackend: boolean;
  /** The misconfigurations this app logged already (one line each, once). */
  private readonly loggedMisconfigurations = new Set<string>();

  static configure<U extends BaseUser>(options: AuthOptions<U>): Auth<U> {
    // The library's changes to routing-controllers (see src/routing/patches.ts) must all be in place.
    assertRoutingPatchesApplied();
    const auth = new Auth(options);
    Container.set(Auth, auth);
    reportRouteFailuresTo(auth.reportFailure);
    databaseOutages.probeWith(databaseProbe(options.dataSource));
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
    if (!options.backends?.length) throw new AuthConfigurationError('Auth.configure: give at least one backend.');
    const names = new Set<string>();
    for (const backend of options.backends) {
      if (names.has(backend.name)) throw new AuthConfigurationError(`Auth.configure: two backends are named "${backend.name}".`);
      names.add(backend.name);
      backend.strategy.init?.({ dataSource: options.dataSource, events: this.events });
    }
    attachDefaultSessionStores(options.backends, options.dataSource);
    this.backends = [...options.backends];
    this.scopes = Object.freeze(checkDeclaredScopes(options.scopes ?? {}));
    this.dataSource = options.dataSource;
    this.oauthAccounts = new OAuthAccountStores(options.oauthAccounts, options.dataSource);
    this.hasBearerBackend = this.backends.some((b) => b.transport.scheme === 'bearer');
    this.requireVerification = options.requireVerification ?? false;
    this.enumerationSafeRegistration = options.enumerationSafeRegistration ?? false;
    this.recentSignInMaxAgeSeconds = options.recentSignInMaxAgeSeconds ?? DEFAULT_RECENT_SIGN_IN_SECONDS;
    if (!Number.isInteger(this.recentSignInMaxAgeSeconds) || this.recentSignInMaxAgeSeconds < 0)
      throw new AuthConfigurationError('Auth.configure: recentSignInMaxAgeSeconds must be a whole number of seconds ≥ 0.');
    this.onUnauthenticated = options.onUnauthenticated;
    this.rateLimits = options.rateLimits === false ? undefined : new RateLimits(options.rateLimits, this.events);
    if (options.onEvent) this.events.on('event', options.onEvent);
    this.sessions = new Sessions(this.backends);
    if (!options.userStore && !(options.dataSource && options.userEntity)) {
      throw new AuthConfigurationError('Auth.configure: give `dataSource` and `userEntity`, or a `userStore`.');
    }
    this.userStore = options.userStore ?? new TypeOrmUserStore(options.dataSource!, options.userEntity!);

    const context: UserManagerContext<U> = {
      store: this.userStore,
      hasher: options.passwordHasher ?? new Argon2PasswordHasher(),
      tokens: new UserTokens(options.secret, options.verifyTokenLifetimeSeconds, options.resetTokenLifetimeSeconds),
      revokeAllTokens: (userId, revokeOptions) => this.revokeAllTokens(userId, revokeOptions),
      events: this.events,
      unlinkUnverifiedOAuthAccounts: (userId) => this.oauthAccounts.unlinkUnverified(userId),
    };
    const ManagerClass = options.userManager ?? UserManager;
    this.userManager = new ManagerClass(context);
    this.authenticator = new Authenticator(
      this.backends,
      this.userStore,
      (backend, reason, exchange) => this.events.publish({ type: 'token.rejected', backend: backend.name, reason, ip: exchange.ip }),
      this.reportFailure,
    );
  }

  /**
   * Reports a bug met while serving a request: the server log gets it with its stack (a
   * misconfiguration: one line with its fix, once), and `internal.error` listeners (error trackers)
   * get the error. The client gets a 500 `{code, message}`.
   */
  readonly reportFailure: FailureReporter = (error, where, ip) => {
    logFailure(error, where, this.loggedMisconfigurations);
    this.events.publish({ type: 'internal.error', where, error, ip });
  };

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
    // A Set: stores shared by several backends, and a DataSource every store finds uninitialised, are one problem each.
    const problems = new Set<string>();
    const check = async (run: () => Promise<void> | undefined): Promise<void> => {
      try {
        await run();
      } catch (error) {
        if (!(error instanceof AuthConfigurationError)) throw error;
        problems.add(error.message);
      }
    };
    await check(() => this.userStore.ready?.());
    const sessionStores = new Set(this.backends.map((b) => b.refresh?.store));
    for (const backend of this.backends) await check(() => backend.strategy.ready?.());
    for (const store of sessionStores) await check(() => store?.ready?.());
    await check(() => this.rateLimits?.ready());
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

  getBackend(name: string): AuthenticationBackend {
    const backend = this.backends.find((b) => b.name === name);
    if (!backend) throw new AuthConfigurationError(`No authentication backend is named "${name}".`);
    return backend;
  }

  /**
   * routing-controllers' `authorizationChecker`: 401 without a valid credential, 403
   * `INSUFFICIENT_SCOPE` when the credential lacks one of the listed scopes, 401
   * `REAUTHENTICATION_REQUIRED` when `@Authorized({ maxAgeSeconds })` finds the sign-in too old.
   */
  readonly authorizationChecker = (action: Action, roles: unknown[] = []): boolean | Promise<boolean> => {
    // A refusal's headers (WWW-Authenticate, Retry-After) are set here: routing-controllers sends only status and body.
    const exchange = exchangeFromAction(action);
    return preparingErrorAnswer(exchange, () =>
      this.authenticator.withResolution(exchange, (resolution) => this.authorize(resolution, action, accessRequirementOf(roles))),
    );
  };

  /** routing-controllers' `currentUserChecker`: the authenticated user, or null. */
  readonly currentUserChecker = (action: Action): U | null | Promise<U | null> => {
    const exchange = exchangeFromAction(action);
    return preparingErrorAnswer(exchange, () => this.authenticator.withResolution(exchange, (resolution) => principalOf(resolution)?.user ?? null));
  };

  /** The request's principal (user, granted scopes, backend), or null. Cached per request. */
  async authenticate(action: Action): Promise<Principal<U> | null> {
    const exchange = exchangeFromAction(action);
    return preparingErrorAnswer(exchange, async () => principalOf(await this.authenticator.resolve(exchange)));
  }

  /**
   * Express middleware for code outside controllers: sets `req.user` (null when anonymous)
   * and `req.auth` (the principal). A refused request (CSRF, store down) goes to `next(error)`.
   */
  middleware(): (req: any, res: any, next: (error?: unknown) => void) => void {
    return (req, res, next) => {
      const exchange = exchangeFromExpress(req, res);
      this.authenticator.resolve(exchange).then(
        (resolution) => {
          if (resolution.refusal instanceof BackendUnavailableError) databaseOutages.refused(resolution.refusal.cause);
          if (resolution.refusal) return next(resolution.refusal);
          req.user = resolution.principal?.user ?? null;
          req.auth = resolution.principal;
          next();
        },
        (error) => next(error),
      );
    };
  }

  /**
   * Koa middleware for code outside controllers: sets `ctx.state.user` (null when anonymous) and
   * `ctx.state.auth` (the principal). A refused request (CSRF, store down) throws its error.
   */
  koaMiddleware(): (ctx: any, next: () => Promise<unknown>) => Promise<void> {
    return async (ctx, next) => {
      const resolution = await this.authenticator.resolve(exchangeFromKoa(ctx));
      if (resolution.refusal instanceof BackendUnavailableError) databaseOutages.refused(resolution.refusal.cause);
      const principal = principalOf(resolution);
      ctx.state.user = principal?.user ?? null;
      ctx.state.auth = principal;
      await next();
    };
  }

  /** The principal of a request a controller is serving (cached per request), or null; throws a refusal. */
  async principalFor(exchange: HttpExchange): Promise<Principal<U> | null> {
    return preparingErrorAnswer(exchange, async () => principalOf(await this.authenticator.resolve(exchange)));
  }

  /** Authentication with one named backend (what `AuthController` logout uses). */
  async authenticateWith(backendName: string, exchange: HttpExchange): Promise<Principal<U> | null> {
    return this.authenticator.authenticateWith(this.getBackend(backendName), exchange);
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
    if (isRecentSignIn(principal.grant.authTime, maxAgeSeconds)) return;
    throw this.reauthenticationError(maxAgeSeconds);
  }

  private reauthenticationError(maxAgeSeconds: number): ReauthenticationRequiredError {
    const headers: Record<string, string> = this.hasBearerBackend
      ? {
          'WWW-Authenticate': `Bearer error="insufficient_user_authentication", error_description="A more recent sign-in is required", max_age=${maxAgeSeconds}`,
        }
      : {};
    return new ReauthenticationRequiredError(maxAgeSeconds, headers);
  }

  /**
   * Counts an attempt at a limited route; throws 429 `TOO_MANY_REQUESTS` when a budget is spent.
   * `perIp: false` counts only the account (its client's attempt was counted already).
   */
  async limitAttempt(action: RateLimitedAction, exchange: HttpExchange, account?: string, options: { perIp?: boolean } = {}): Promise<void> {
    if (!this.rateLimits) return;
    try {
      await this.rateLimits.consume(action, { ip: options.perIp === false ? undefined : exchange.ip, account });
    } catch (error) {
      if (error instanceof TooManyRequestsError) {
        this.events.publish({ type: 'rate.limited', action, retryAfterSeconds: error.retryAfterSeconds, ip: exchange.ip });
      }
      throw error;
    }
  }

  /**
   * Ends every session of the user and destroys every token of theirs in every backend whose
   * strategy can ("log out everywhere"). `exceptSessionId` spares one session (the one changing
   * the password); a JWT revocation cut-off still takes that session's access tokens, which its
   * refresh token replaces.
   */
  async revokeAllTokens(userId: string, options: { exceptSessionId?: string } = {}): Promise<void> {
    await this.sessions.endAllForUser(userId, options.exceptSessionId);
    await Promise.all(this.backends.map(async (b) => b.strategy.destroyAllForUser?.(userId, options)));
  }

  /** The 401 for this request (or the app's `onUnauthenticated` error). */
  unauthenticatedError(action: Action | undefined, resolution: Pick<Resolution<U>, 'bearerRejected'>): Error {
    const custom = action && this.onUnauthenticated?.(action);
    if (custom) return custom;
    const headers: Record<string, string> = {};
    if (this.hasBearerBackend) headers['WWW-Authenticate'] = resolution.bearerRejected ? 'Bearer error="invalid_token"' : 'Bearer';
    return new UnauthorizedError(resolution.bearerRejected ? 'The access token is invalid or expired.' : 'Authentication required.', headers);
  }

  /** True when the resolution lets the request through with these scopes; throws the 401/403/refusal otherwise. */
  private authorize(resolution: Resolution<U>, action: Action, requirement: AccessRequirement): true {
    const principal = principalOf(resolution);
    if (!principal) throw this.unauthenticatedError(action, resolution);
    const { scopes, maxAgeSeconds } = requirement;
    if (!hasAllScopes(principal.scopes, scopes)) {
      const headers: Record<string, string> = this.hasBearerBackend
        ? { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scopes.join(' ')}"` }
        : {};
      throw new InsufficientScopeError(scopes, headers);
    }
    if (maxAgeSeconds !== undefined) this.requireRecentSignIn(principal, maxAgeSeconds);
    return true;
  }
}

/** Asks the DataSource for `SELECT 1` once it went away (see `databaseOutages`); nothing to ask without one. */
function databaseProbe(dataSource: DataSource | undefined): (() => Promise<unknown>) | undefined {
  if (!dataSource) return undefined;
  return async () => {
    if (!dataSource.isInitialized) throw new Error('The DataSource is not initialised.');
    return dataSource.query('SELECT 1');
  };
}

/** The principal (null when anonymous); throws the refusal (CSRF, store down) when there is one. */
function principalOf<U extends BaseUser>(resolution: Resolution<U>): Principal<U> | null {
  if (resolution.refusal) throw resolution.refusal;
  return resolution.principal;
}

/** RFC 6749 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function checkDeclaredScopes(scopes: Record<string, string>): Record<string, string> {
  for (const [name, description] of Object.entries(scopes)) {
    if (!SCOPE_TOKEN.test(name))
      throw new AuthConfigurationError(`Auth.configure: scope "${name}" is not a valid OAuth2 scope (printable ASCII without spaces, quotes or backslashes).`);
    if (typeof description !== 'string') throw new AuthConfigurationError(`Auth.configure: scopes["${name}"] must be its description (a string).`);
  }
  return { ...scopes };
}
