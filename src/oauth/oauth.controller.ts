import type { PluginContext } from '../lifecycle';
import { Authorized, CurrentUser, Get, Req, Res } from 'routing-controllers';
import { Auth } from '../auth';
import { signInWithProvider } from '../flows/social-sign-in';
import { toPublicUser } from '../controllers/public-user';
import type { BaseUser } from '../entities/base-user';
import { AuthConfigurationError, AuthHttpError, BadRequestError, ErrorCode } from '../errors';
import { exchangeFromParams, type HttpExchange } from '../http/request';
import { vouchForOrigin } from '../transports/csrf';
import { checkIssuingRequest } from '../transports/transport';
import { linkToUser } from './account-linking';
import type { OAuthAccountStore } from './account-store';
import { OAuthFlows } from './flow';
import type { AuthorizationCallback, OAuthProvider } from './provider';
import { providerFailure } from './provider-failure';
import { MemoryOAuthStateStore, type OAuthStateRecord, type OAuthStateStore } from './state-store';
import { LibraryController } from '../controllers/library-controller';
import type { AuthenticationBackend } from '../backend';
import { Container } from 'typedi';
import { LibraryRoute, type StatusCodes } from '../routes/route-declaration';
import { issuingCsrf, loginAnswers, userAnswer } from '../routes/route-docs';
import { withSecondFactorAnswers } from '../routes/two-factor-route-docs';
import { AUTHORIZATION_URL, callbackErrors, callbackResponses, OAUTH_CALLBACK_CODES, OAUTH_QUERY } from '../routes/oauth-route-docs';

/** A sign-in callback's failures (each a 303 to `errorRedirectUrl` instead, when the controller has one). */
const SIGN_IN_ERRORS: StatusCodes = [
  [400, [...OAUTH_CALLBACK_CODES, ErrorCode.OAUTH_USER_ALREADY_EXISTS, ErrorCode.OAUTH_EMAIL_NOT_AVAILABLE, ErrorCode.LOGIN_USER_NOT_VERIFIED]],
  [502, [ErrorCode.OAUTH_PROVIDER_ERROR]],
  [503, [ErrorCode.AUTH_BACKEND_UNAVAILABLE]],
];
/** A linking callback's failures (the same rule). */
const LINK_ERRORS: StatusCodes = [
  [400, [...OAUTH_CALLBACK_CODES, ErrorCode.OAUTH_ACCOUNT_ALREADY_LINKED]],
  [502, [ErrorCode.OAUTH_PROVIDER_ERROR]],
];

export interface OAuthControllerOptions<U extends BaseUser = BaseUser> {
  /** This controller's `…/callback` URL, exactly as registered at the provider. */
  redirectUri: string;
  /**
   * Sign in to an existing user whose email the provider reports — only when the provider says
   * the email is verified. Default false: such a sign-in answers 400 `OAUTH_USER_ALREADY_EXISTS`
   * (the user signs in with their password and links the provider through the associate routes).
   */
  associateByEmail?: boolean;
  /** New users are verified when the provider verified their email. Default false. */
  isVerifiedByDefault?: boolean;
  /** Where the browser goes (303) after a successful callback, instead of the JSON answer. Needs a cookie backend. */
  redirectUrl?: string;
  /**
   * Where the browser goes (303) when a callback fails (cancelled at the provider, a stale state, an
   * email taken, the provider or a store down), with `?error=CODE` added (e.g.
   * `/login?error=OAUTH_AUTHORIZATION_DENIED`), instead of the JSON `{code, message}`. Default: the JSON.
   */
  errorRedirectUrl?: string;
  /** The OpenAPI tag of this controller's routes. Default: the provider's name and "sign-in", e.g. "GitHub sign-in". */
  tag?: string;
  /** The associate flow's callback URL. Default: `redirectUri` with its final `/callback` replaced by `/associate/callback`. */
  associateRedirectUri?: string;
  /** Where flows wait for their callback. Default: this process's memory (use Redis for several instances). */
  stateStore?: OAuthStateStore;
  /** Default `rcauth_oauth_state` (the associate flow's adds `_associate`). */
  stateCookieName?: string;
  /** Default true. Turn off only for plain-http development on a host browsers do not treat as secure. */
  stateCookieSecure?: boolean;
  /**
   * Where account links live; give it to `Auth.configure({ oauthAccounts })` too (verification and
   * reset must reach it). Default: `Auth.configure`'s `oauthAccounts`, else the `OAuthAccount`
   * entity in its DataSource.
   */
  accounts?: OAuthAccountStore;
  /** The `Auth` to use; default: the one `Auth.configure` registered in typedi. */
  auth?: Auth<U>;
}

/** Flows of every controller that keeps them in memory: states are random, so one map serves all. */
const sharedMemoryStates = new MemoryOAuthStateStore();

/**
 * Social login with one provider. Extend it under the route you want:
 *
 * ```ts
 * @JsonController('/auth/google')
 * class GoogleAuth extends OAuthController {
 *   constructor() { super(google, 'cookie', { redirectUri: 'https://app.example.com/auth/google/callback' }); }
 * }
 * ```
 *
 * `GET /authorize` and `GET /callback` sign in (creating the user on first sign-in);
 * `GET /associate/authorize` and `GET /associate/callback` (authenticated) link the provider
 * account to the current user. Every flow is bound to the browser that started it, used once,
 * valid 10 minutes, and protected by PKCE S256 (and, for OpenID Connect, a nonce).
 */
@LibraryController()
export class OAuthController<U extends BaseUser = BaseUser> {
  private readonly flows: OAuthFlows;
  private readonly redirectUri: string;
  private readonly associateRedirectUri: string | undefined;
  private readonly redirectUrl: string | undefined;
  private readonly errorRedirectUrl: string | undefined;
  private readonly tag: string;
  private readonly associateByEmail: boolean;
  private readonly isVerifiedByDefault: boolean;
  private readonly accountStore: OAuthAccountStore | undefined;
  private readonly boundAuth: Auth<U> | undefined;
  private readonly stateStore: OAuthStateStore;

  /**
   * @param provider an `OpenIdProvider`, a `GitHubProvider` or your own `OAuthProvider`.
   * @param backendName the backend the callback logs in with (the same answer as its `POST /login`).
   */
  constructor(
    protected readonly provider: OAuthProvider,
    protected readonly backendName: string,
    options: OAuthControllerOptions<U>,
  ) {
    const callback = parseUrl(options.redirectUri, 'redirectUri');
    this.redirectUri = options.redirectUri;
    this.associateRedirectUri = options.associateRedirectUri ?? defaultAssociateRedirectUri(callback);
    this.redirectUrl = options.redirectUrl;
    this.errorRedirectUrl = options.errorRedirectUrl;
    this.tag = options.tag ?? `${providerLabel(provider.name)} sign-in`;
    this.associateByEmail = options.associateByEmail ?? false;
    this.isVerifiedByDefault = options.isVerifiedByDefault ?? false;
    this.accountStore = options.accounts;
    this.boundAuth = options.auth;
    // The cookie goes back only to this controller's routes: the callback's path minus `/callback`.
    const path = callback.pathname.replace(/\/callback$/, '') || '/';
    this.stateStore = options.stateStore ?? sharedMemoryStates;
    this.flows = new OAuthFlows(this.stateStore, {
      name: options.stateCookieName ?? 'rcauth_oauth_state',
      path,
      secure: options.stateCookieSecure ?? true,
    });
  }

  protected get auth(): Auth<U> {
    return this.boundAuth ?? Auth.current<U>();
  }

  /** The `Auth` this controller serves (`auth.ready()` checks only its own controllers). */
  usesAuth(auth: Auth<any>): boolean {
    return (this.boundAuth ?? (Container.has(Auth) ? Auth.current() : undefined)) === auth;
  }

  /**
   * What this controller needs, as `auth.ready()` asks it (and a sign-in, before it starts): its
   * backend, a cookie backend for `redirectUrl`, the refresh cookie's path, the `OAuthAccount`
   * entity (or its own `accounts` store) and a connected state store. One message per problem, each
   * naming its fix.
   */
  async readinessProblems(): Promise<string[]> {
    const problems: string[] = [];
    const check = async (run: () => unknown): Promise<void> => {
      try {
        await run();
      } catch (error) {
        if (!(error instanceof AuthConfigurationError)) throw error;
        problems.push(error.message);
      }
    };
    await check(() => this.checkBackend());
    await check(() => this.accounts.ready?.());
    // The state store is the controller's own piece: it joins the app's lifecycle here, once per app.
    await check(() => initOnce(this.stateStore, this.auth.context.plugins));
    await check(() => this.stateStore.ready?.());
    return problems;
  }

  /**
   * Checked before a flow starts (no I/O): a user is never sent to the provider only to meet a
   * misconfiguration on the way back (500 `AUTH_MISCONFIGURED`, the fix in the server log).
   */
  private async assertReady(): Promise<void> {
    const [problem] = await this.readinessProblems();
    if (problem) throw new AuthConfigurationError(problem);
  }

  /** The backend the callback logs in with, refused when it cannot carry a social login. */
  private checkBackend(): AuthenticationBackend {
    const auth = this.auth;
    const backend = auth.backends.find((b) => b.name === this.backendName);
    if (!backend) {
      throw new AuthConfigurationError(
        `${this.constructor.name} (an OAuthController) logs in with the "${this.backendName}" backend, which Auth.configure does not have (its backends: ${auth.backends.map((b) => `"${b.name}"`).join(', ')}).`,
      );
    }
    if (this.redirectUrl && !backend.transport.setsCookies) {
      throw new AuthConfigurationError('OAuthController: redirectUrl needs a cookie backend (a bearer token would be lost in the redirect).');
    }
    // The refresh cookie is scoped to the AuthController's /refresh route, which this controller
    // cannot know: derived from the callback's own path it would never reach POST /refresh.
    if (backend.refresh && backend.transport.setsCookies && backend.refresh.cookiePath === undefined) {
      throw new AuthConfigurationError(
        `OAuthController: the "${backend.name}" backend has refresh tokens in a cookie; give it \`refresh: { cookiePath }\` (its AuthController's route + "/refresh", e.g. "/auth/${backend.name}/refresh") so a social login's refresh cookie reaches POST /refresh.`,
      );
    }
    return backend;
  }

  protected get accounts(): OAuthAccountStore {
    const stores = this.auth.oauthAccounts;
    if (!this.accountStore) return stores.default;
    stores.assertKnown(this.accountStore);
    return this.accountStore;
  }

  /**
   * `GET /authorize` — 200 `{authorization_url}` and the flow's state cookie. With a cookie
   * backend, 403 `CSRF_FAILED` from a foreign origin: the callback trusts a flow only this way.
   */
  @LibraryRoute({
    errors: (context) => [...issuingCsrf(context), [502, [ErrorCode.OAUTH_PROVIDER_ERROR]]],
    docs: () => ({ summary: 'Start signing in with the provider', responses: AUTHORIZATION_URL }),
  })
  @Get('/authorize')
  async authorize(@Req() request: any, @Res() response: any): Promise<{ authorization_url: string }> {
    const exchange = exchangeFromParams(request, response);
    await this.assertReady();
    this.checkIssuingRequest(exchange);
    return { authorization_url: await this.startFlow(exchange, 'login', this.redirectUri) };
  }

  /**
   * `GET /callback?code&state` — signs in through the backend (its login answer), creating the
   * user on first sign-in; with `redirectUrl`, a 303 there. 400 `OAUTH_INVALID_STATE`,
   * `OAUTH_INVALID_CODE`, `OAUTH_USER_ALREADY_EXISTS`, `OAUTH_EMAIL_NOT_AVAILABLE`; 502 `OAUTH_PROVIDER_ERROR`.
   */
  @LibraryRoute({
    errors: (context) => callbackErrors(context, SIGN_IN_ERRORS),
    docs: (context) => ({
      summary: "The provider's callback: signs in, creating the user on first sign-in",
      parameters: OAUTH_QUERY,
      responses: callbackResponses(context, withSecondFactorAnswers(context, loginAnswers(context)), SIGN_IN_ERRORS),
    }),
  })
  @Get('/callback')
  async callback(@Req() request: any, @Res() response: any): Promise<unknown> {
    const exchange = exchangeFromParams(request, response);
    return this.reportingFailures(exchange, 'login', () => this.signIn(exchange));
  }

  private async signIn(exchange: HttpExchange): Promise<unknown> {
    const auth = this.auth;
    const backend = this.checkBackend();
    const query = queryOf(exchange);
    const record = await this.flows.finish(exchange, query.get('state'), 'login');
    // The provider's redirect arrives cross-site in every browser, so the login origin check
    // cannot apply here. The state stands in for it: single-use, bound to this browser by a
    // cookie that only an origin-checked /authorize sets. An attacker's callback URL opened in
    // the victim's browser has no such cookie and was refused above.
    vouchForOrigin(exchange);
    const profile = await this.profile(query, record, this.redirectUri);
    const body = await signInWithProvider(
      auth,
      {
        backend,
        providerName: this.provider.name,
        profile,
        accounts: this.accounts,
        linking: { associateByEmail: this.associateByEmail, isVerifiedByDefault: this.isVerifiedByDefault },
      },
      exchange,
    );
    if (!this.redirectUrl) return body;
    // A login waiting for its second factor: the page at redirectUrl finishes it (POST /2fa/verify).
    // The token rides in the fragment, which browsers send to no server and no Referer carries.
    const pending = pendingFragment(body);
    return this.redirect(exchange, pending ? `${this.redirectUrl.split('#')[0]}#${pending}` : this.redirectUrl);
  }

  /** `GET /associate/authorize` (authenticated) — 200 `{authorization_url}`; the flow is bound to the current user. */
  @LibraryRoute({
    // Linking a provider account hands the account a new way in: a stolen API key must not.
    sessionOnly: true,
    errors: (context) => [...issuingCsrf(context), [502, [ErrorCode.OAUTH_PROVIDER_ERROR]]],
    docs: () => ({ summary: 'Start linking a provider account to the current user', responses: AUTHORIZATION_URL }),
  })
  @Authorized()
  @Get('/associate/authorize')
  async associateAuthorize(@CurrentUser({ required: true }) user: U, @Req() request: any, @Res() response: any): Promise<{ authorization_url: string }> {
    const exchange = exchangeFromParams(request, response);
    await this.assertReady();
    this.checkIssuingRequest(exchange);
    return { authorization_url: await this.startFlow(exchange, 'associate', this.associateUri(), user.id) };
  }

  /** A flow's start sets the library's state cookie: it passes the backend transport's login origin check. */
  private checkIssuingRequest(exchange: HttpExchange): void {
    checkIssuingRequest(this.auth.getBackend(this.backendName).transport, exchange);
  }

  /**
   * `GET /associate/callback?code&state` (authenticated, the user who started the flow) — links
   * the provider account to the current user: 200 the user (a 303 to `redirectUrl` when set).
   * 400 `OAUTH_INVALID_STATE`, `OAUTH_ACCOUNT_ALREADY_LINKED`; 502 `OAUTH_PROVIDER_ERROR`.
   */
  @LibraryRoute({
    sessionOnly: true,
    errors: (context) => callbackErrors(context, LINK_ERRORS),
    docs: (context) => ({
      summary: "The provider's callback for linking: links the account to the current user",
      parameters: OAUTH_QUERY,
      responses: callbackResponses(context, { '200': userAnswer('The current user, now linked.') }, LINK_ERRORS),
    }),
  })
  @Authorized()
  @Get('/associate/callback')
  async associateCallback(@CurrentUser({ required: true }) user: U, @Req() request: any, @Res() response: any): Promise<unknown> {
    const exchange = exchangeFromParams(request, response);
    return this.reportingFailures(exchange, 'associate', async () => {
      const query = queryOf(exchange);
      const record = await this.flows.finish(exchange, query.get('state'), 'associate', user.id);
      const profile = await this.profile(query, record, this.associateUri());
      await linkToUser(this.auth.userManager, this.accounts, this.provider.name, profile, user);
      return this.redirectUrl ? this.redirect(exchange, this.redirectUrl) : toPublicUser(user);
    });
  }

  /**
   * Refused callbacks become `oauth.failed` events (forged or replayed states show up in audit logs)
   * and, with `errorRedirectUrl`, a 303 there carrying the code: a browser never lands on JSON.
   */
  private async reportingFailures<T>(exchange: HttpExchange, flow: 'login' | 'associate', run: () => Promise<T>): Promise<T | { location: string }> {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof AuthHttpError)) throw error;
      this.auth.events.publish({ type: 'oauth.failed', provider: this.provider.name, flow, code: error.code, ip: exchange.ip });
      if (!this.errorRedirectUrl) throw error;
      return this.redirect(exchange, withErrorCode(this.errorRedirectUrl, error.code));
    }
  }

  private async startFlow(exchange: HttpExchange, purpose: OAuthStateRecord['purpose'], redirectUri: string, userId?: string): Promise<string> {
    const flow = this.flows.create(purpose, userId);
    let url: string;
    try {
      url = await this.provider.authorizationUrl({ redirectUri, state: flow.state, codeChallenge: flow.codeChallenge, nonce: flow.nonce });
    } catch (error) {
      throw providerFailure(error);
    }
    await this.flows.begin(exchange, flow);
    return url;
  }

  /** The provider's answer for a callback whose state was accepted. */
  private async profile(query: URLSearchParams, record: OAuthStateRecord, redirectUri: string) {
    if (query.has('error')) throw new BadRequestError(ErrorCode.OAUTH_AUTHORIZATION_DENIED, 'The sign-in was cancelled or refused at the provider.');
    const code = query.get('code');
    if (!code || code.length > 2048) throw new BadRequestError(ErrorCode.OAUTH_INVALID_CODE, 'The callback carries no valid authorization code.');
    const callback: AuthorizationCallback = { redirectUri, query, state: query.get('state')!, codeVerifier: record.codeVerifier, nonce: record.nonce };
    try {
      return await this.provider.fetchProfile(callback);
    } catch (error) {
      throw providerFailure(error);
    }
  }

  private associateUri(): string {
    if (!this.associateRedirectUri) throw new AuthConfigurationError('OAuthController: redirectUri does not end in /callback; give associateRedirectUri.');
    return this.associateRedirectUri;
  }

  private redirect(exchange: HttpExchange, location: string): { location: string } {
    exchange.rawResponse.setHeader('Location', location);
    exchange.setStatus(303);
    return { location };
  }
}

/** The fragment that hands a pending second-factor login to the page, or undefined for a finished login. */
function pendingFragment(body: unknown): string | undefined {
  const answer = body as Record<string, unknown> | null;
  if (!answer || typeof answer.mfa_token !== 'string') return undefined;
  const fragment = new URLSearchParams({ mfa_token: answer.mfa_token });
  if (answer.mfa_required === true) {
    fragment.set('mfa_required', 'true');
    fragment.set('methods', (answer.methods as string[]).join(' '));
  } else fragment.set('mfa_enrolment_required', 'true');
  return fragment.toString();
}

/** `url` with `error=CODE` added to its query (before any fragment). */
function withErrorCode(url: string, code: string): string {
  const at = url.indexOf('#');
  const [base, fragment] = at === -1 ? [url, ''] : [url.slice(0, at), url.slice(at)];
  return `${base}${base.includes('?') ? '&' : '?'}error=${encodeURIComponent(code)}${fragment}`;
}

/** How people write the providers' names in a heading ("github" is "GitHub"). */
const PROVIDER_LABELS: Record<string, string> = { github: 'GitHub', gitlab: 'GitLab', google: 'Google', microsoft: 'Microsoft', apple: 'Apple' };

function providerLabel(name: string): string {
  return PROVIDER_LABELS[name.toLowerCase()] ?? name.charAt(0).toUpperCase() + name.slice(1);
}

function parseUrl(url: string, option: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new AuthConfigurationError(`OAuthController: ${option} "${url}" is not an absolute URL.`);
  }
}

function defaultAssociateRedirectUri(callback: URL): string | undefined {
  if (!/\/callback$/.test(callback.pathname)) return undefined;
  const associate = new URL(callback.toString());
  associate.pathname = callback.pathname.replace(/\/callback$/, '/associate/callback');
  return associate.toString();
}

/** The query string as the client sent it (the same on Express and Koa). */
function queryOf(exchange: HttpExchange): URLSearchParams {
  const url = exchange.raw.url ?? '';
  const at = url.indexOf('?');
  return new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
}

/** The state stores already handed an app's plugin context (a store shared by several controllers gets it once). */
const initialisedStateStores = new WeakMap<OAuthStateStore, PluginContext>();

function initOnce(store: OAuthStateStore, context: PluginContext): void {
  if (initialisedStateStores.get(store) === context) return;
  initialisedStateStores.set(store, context);
  store.init?.(context);
}
