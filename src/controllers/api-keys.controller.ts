import { Authorized, CurrentUser, Delete, Get, HttpCode, Param, Post, QueryParam, Req, Res } from 'routing-controllers';
import type { Auth } from '../auth';
import type { ApiKeyInfo } from '../api-keys/api-key-store';
import type { BaseUser } from '../entities/base-user';
import { ApiKeyScopeNotAllowedError, AuthConfigurationError, ErrorCode, InsufficientScopeError, NotFoundError } from '../errors';
import { confirmAccountHolder } from '../flows/confirm-account-holder';
import { exchangeFromParams } from '../http/request';
import { API_KEY_SCHEMA, CREATED_API_KEY_SCHEMA } from '../openapi/library-schemas';
import { routeCall } from '../routes/route-call';
import { LibraryRoute } from '../routes/route-declaration';
import { json } from '../routes/route-docs';
import { ApiKeyStrategy } from '../strategies/api-key';
import { SUPERUSER_SCOPE } from '../users/scopes';
import { CreateApiKeyDto } from './api-key-dto';
import { AuthRoutes } from './auth-routes';

/** An API key as the routes answer it: never the key itself, nor its digest. */
export type ApiKeyView = ApiKeyInfo;

/**
 * The current user's API keys: make one (shown once), list them, revoke one; superusers list and
 * revoke anyone's. Every route needs a signed-in session: an API key cannot make, list or revoke
 * keys. Extend it under the route you want:
 *
 * ```ts
 * @JsonController('/api-keys') class ApiKeys extends ApiKeysController {}
 * ```
 */
export class ApiKeysController<U extends BaseUser = BaseUser> extends AuthRoutes<U> {
  /**
   * @param backendName the backend whose `ApiKeyStrategy` holds the keys; default: the one backend with one.
   * @param boundAuth the `Auth` to use; default: the one `Auth.configure` registered in typedi.
   */
  constructor(
    protected readonly backendName?: string,
    boundAuth?: Auth<U>,
  ) {
    super();
    this.boundAuth = boundAuth;
  }

  /** The strategy holding the keys, looked up once per configured `Auth`. */
  protected get strategy(): ApiKeyStrategy {
    const auth = this.auth;
    if (this.resolved?.auth !== auth) this.resolved = { auth, strategy: apiKeyStrategyOf(auth, this.backendName) };
    return this.resolved.strategy;
  }

  private resolved?: { auth: Auth<U>; strategy: ApiKeyStrategy };

  /** What `auth.ready()` asks: one backend (the one named, or the only one) with an `ApiKeyStrategy`. */
  override async readinessProblems(): Promise<string[]> {
    try {
      apiKeyStrategyOf(this.auth, this.backendName);
      return [];
    } catch (error) {
      if (error instanceof AuthConfigurationError) return [error.message];
      throw error;
    }
  }

  /**
   * `POST /` — 201 the new key, with the key itself (`Cache-Control: no-store`): shown this once.
   * Needs `currentPassword` or a recent sign-in. 400 `API_KEY_SCOPE_NOT_ALLOWED` for a scope the
   * user lacks.
   */
  @LibraryRoute({
    sessionOnly: true,
    body: { accepts: 'json', dtos: () => [CreateApiKeyDto] },
    // Counted by confirmAccountHolder when a password is given: the account's login budget.
    rateLimit: { action: 'login' },
    answers: [{ error: ApiKeyScopeNotAllowedError, status: 400, code: ErrorCode.API_KEY_SCOPE_NOT_ALLOWED }],
    errors: () => [
      [400, [ErrorCode.CURRENT_PASSWORD_INVALID]],
      [401, [ErrorCode.REAUTHENTICATION_REQUIRED]],
    ],
    docs: () => ({
      summary: 'Make an API key',
      description:
        "`scopes` must be a subset of the user's (else 400 `API_KEY_SCOPE_NOT_ALLOWED`). Needs `currentPassword` or a recent sign-in " +
        '(else 401 `REAUTHENTICATION_REQUIRED`); an API key cannot make keys. The answer holds the key itself, shown this once.',
      responses: {
        '201': {
          description: 'The new key, with the key itself. `Cache-Control: no-store`.',
          content: json({ $ref: `#/components/schemas/${CREATED_API_KEY_SCHEMA}` }),
        },
      },
    }),
  })
  @Authorized()
  @Post('/')
  @HttpCode(201)
  async create(@CurrentUser({ required: true }) user: U, @Req() request: any, @Res() response: any): Promise<ApiKeyView & { key: string }> {
    const exchange = exchangeFromParams(request, response);
    const auth = this.auth;
    const [body] = (await routeCall(exchange).body()).dtos as [CreateApiKeyDto];
    const principal = await auth.principalFor(exchange);
    if (!principal) throw auth.unauthenticatedError(undefined, { bearerRejected: false });
    await confirmAccountHolder(auth, principal, exchange, body.currentPassword);
    const ownerScopes = await auth.userManager.getScopes(user);
    const { key, info } = await this.strategy.createKey(user, body, ownerScopes);
    exchange.rawResponse.setHeader('Cache-Control', 'no-store');
    exchange.rawResponse.setHeader('Pragma', 'no-cache');
    return { ...this.serializeKey(info), key };
  }

  /** `GET /` — the user's keys, oldest first (no key material); a superuser may ask for anyone's with `?userId=`. */
  @LibraryRoute({
    sessionOnly: true,
    errors: () => [[403, [ErrorCode.INSUFFICIENT_SCOPE]]],
    docs: () => ({
      summary: "The current user's API keys",
      description: "Never the keys themselves. `userId` (superusers only, else 403 `INSUFFICIENT_SCOPE`): that user's keys.",
      responses: { '200': { description: 'Oldest first.', content: json({ type: 'array', items: { $ref: `#/components/schemas/${API_KEY_SCHEMA}` } }) } },
    }),
  })
  @Authorized()
  @Get('/')
  async list(
    @CurrentUser({ required: true }) user: U,
    @QueryParam('userId', { required: false }) userId: string,
    @Req() request: any,
    @Res() response: any,
  ): Promise<ApiKeyView[]> {
    let owner = user.id;
    if (typeof userId === 'string' && userId !== user.id) {
      if (!(await this.isSuperuser(request, response))) throw new InsufficientScopeError([SUPERUSER_SCOPE]);
      owner = String(userId);
    }
    return (await this.strategy.listKeys(owner)).map((info) => this.serializeKey(info));
  }

  /** `DELETE /:id` — 204, the key stops at once; 404 `NOT_FOUND` for an id that is not one of the user's keys (a superuser's: anyone's). */
  @LibraryRoute({
    sessionOnly: true,
    errors: () => [[404, [ErrorCode.NOT_FOUND]]],
    docs: () => ({ summary: 'Revoke an API key', responses: { '204': { description: 'Revoked: it stops at once.' } } }),
  })
  @Authorized()
  @Delete('/:id')
  async revoke(@CurrentUser({ required: true }) user: U, @Param('id') id: string, @Req() request: any, @Res() response: any): Promise<null> {
    const strategy = this.strategy;
    const key = typeof id === 'string' && id.length <= 64 ? await strategy.getKey(id) : null;
    // Someone else's key answers as an unknown one: ids of other users' keys are not told apart.
    if (!key || (key.userId !== user.id && !(await this.isSuperuser(request, response)))) throw new NotFoundError('No API key of yours has this id.');
    await strategy.revokeKey(key.id);
    return null;
  }

  /** The response entry for a key; override to shape it (never add the digest). */
  protected serializeKey(info: ApiKeyInfo): ApiKeyView {
    const { id, userId, name, start, scopes, allowedIps, createdAt, expiresAt, lastUsedAt } = info;
    return { id, userId, name, start, scopes, allowedIps, createdAt, expiresAt, lastUsedAt };
  }

  /** True when the request's credential carries the superuser scope (a demoted superuser's does not). */
  private async isSuperuser(request: any, response: any): Promise<boolean> {
    const principal = await this.auth.principalFor(exchangeFromParams(request, response));
    return principal?.scopes.includes(SUPERUSER_SCOPE) ?? false;
  }
}

/** The named backend's `ApiKeyStrategy`, or the one backend that has one. */
function apiKeyStrategyOf(auth: Auth<any>, backendName: string | undefined): ApiKeyStrategy {
  if (backendName !== undefined) {
    const strategy = auth.getBackend(backendName).strategy;
    if (!(strategy instanceof ApiKeyStrategy)) throw new AuthConfigurationError(`ApiKeysController: the "${backendName}" backend has no ApiKeyStrategy.`);
    return strategy;
  }
  const strategies = [...new Set(auth.backends.map((b) => b.strategy).filter((s): s is ApiKeyStrategy => s instanceof ApiKeyStrategy))];
  if (strategies.length === 1) return strategies[0];
  throw new AuthConfigurationError(
    strategies.length === 0
      ? 'ApiKeysController: no backend has an ApiKeyStrategy. Add one: new AuthenticationBackend({ name: "api-key", transport: new ApiKeyTransport(), strategy: new ApiKeyStrategy() }).'
      : 'ApiKeysController: several backends have an ApiKeyStrategy: name one with super("backend-name").',
  );
}
