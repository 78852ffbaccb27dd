import type { AuthenticationBackend } from './backend';
import type { BaseUser } from './entities/base-user';
import { AuthHttpError, BackendUnavailableError } from './errors';
import type { HttpExchange } from './http/request';
import { type FailureReporter, toClientError } from './request-failures';
import type { TokenRejectionReason } from './security/events';
import { isRejection, type RejectionAnswer, type TokenAndUserReader, type TokenGrant, type TokenRejection } from './strategies/strategy';
import { API_KEY_INVALID_ANSWER } from './api-keys/answers';
import type { UserStore, UserTable } from './users/user-store';
import { SUPERUSER_SCOPE } from './users/scopes';

/** Who a request is, and what its credential allows. */
export interface Principal<U extends BaseUser = BaseUser> {
  user: U;
  /** Scopes granted to this credential (not necessarily all the user's). */
  scopes: string[];
  backend: AuthenticationBackend;
  token: string;
  /** What the token granted. Read-only: a JWT strategy shares one frozen grant among the requests carrying that token. */
  grant: TokenGrant;
  /**
   * `token`: a credential from a sign-in (an access token, a session cookie); `api_key`: an API key,
   * which is no session (session-only routes and step-up checks refuse it).
   */
  kind: 'token' | 'api_key';
}

export interface Resolution<U extends BaseUser> {
  principal: Principal<U> | null;
  /**
   * A token was sent through a transport that challenges (`Transport.challenge`, e.g. bearer) and
   * refused: 401s then say `error="invalid_token"`.
   */
  bearerRejected: boolean;
  /** The request must be answered with this error (e.g. CSRF) rather than authenticated. */
  refusal?: AuthHttpError;
  /** What the 401 says, when a refused credential's strategy said more than "invalid" (an API key's code). */
  rejectionAnswer?: RejectionAnswer;
}

interface PendingResolution<U extends BaseUser> {
  promise: Promise<Resolution<U>>;
  /** Set once `promise` has resolved. */
  value: Resolution<U> | undefined;
}

type ResolutionHolder<U extends BaseUser> = Record<symbol, PendingResolution<U> | undefined>;

/** Where the authenticator finds users: a user store's `findById`, and its `table()` when it has one. */
export type UserSource<U extends BaseUser> = Pick<UserStore<U>, 'findById' | 'table'>;

/** The scopes a user has now (`UserManager.getScopes`): what an API key's scopes are cut to on each request. */
// A method's type (bivariant in `user`), so `Auth<User>` stays assignable to `Auth<BaseUser>`.
export type OwnerScopes<U extends BaseUser> = { scopesOf(user: U): string[] | Promise<string[]> }['scopesOf'];

/**
 * Tries the backends in order; the first that yields an active user wins. The outcome is
 * cached on the request's exchange (one per request, see http/request.ts), so `@Authorized`,
 * every `@CurrentUser()` and the middleware share one lookup per request.
 */
export class Authenticator<U extends BaseUser> {
  /** Where this authenticator keeps a request's resolution: a property of the request's one exchange. */
  private readonly slot = Symbol('routing-controllers-auth.resolution');
  /** The users' TypeORM entity, when the user store has one a strategy may join its tokens with. */
  private readonly userTable: UserTable<U> | undefined;
  /** Per backend whose strategy joined the user read into its token read: that reader. */
  private readonly joinedReaders = new Map<AuthenticationBackend, TokenAndUserReader<U>>();

  constructor(
    readonly backends: readonly AuthenticationBackend[],
    private readonly users: UserSource<U>,
    /** Told of every token refused on a request that no backend authenticated (auth events). */
    private readonly onRejected: (backend: AuthenticationBackend, reason: TokenRejectionReason, exchange: HttpExchange) => void = () => undefined,
    /** Told of each bug met while authenticating (logged once, published as an auth event). */
    private readonly reportFailure: FailureReporter = () => undefined,
    /** Told of each outage refusal before it is answered (the app marks it as its own, for its outage log). */
    private readonly onUnavailable: (refusal: BackendUnavailableError) => void = () => undefined,
    /** The owner's current scopes, for credentials bound to them (API keys); default: the `scopes` column (and `superuser`). */
    private readonly ownerScopes: OwnerScopes<U> = (user) => (user.isSuperuser ? [...user.scopes, SUPERUSER_SCOPE] : user.scopes),
  ) {
    this.userTable = users.table?.();
  }

  resolve(exchange: HttpExchange): Promise<Resolution<U>> {
    const holder = exchange as unknown as ResolutionHolder<U>;
    let pending = holder[this.slot];
    if (!pending) {
      const entry: PendingResolution<U> = { promise: undefined as unknown as Promise<Resolution<U>>, value: undefined };
      entry.promise = this.run(exchange).then((resolution) => (entry.value = resolution));
      holder[this.slot] = pending = entry;
    }
    return pending.promise;
  }

  /**
   * `use(resolution)`, at once when the request's resolution has already settled (it has, once
   * `@Authorized` passed), so `@CurrentUser()` answers without another trip through the microtask
   * queue. An error `use` throws comes back as a rejection either way: routing-controllers
   * computes parameters outside its promise chain, where a synchronous throw would escape.
   */
  withResolution<T>(exchange: HttpExchange, use: (resolution: Resolution<U>) => T): T | Promise<T> {
    const settled = (exchange as unknown as ResolutionHolder<U>)[this.slot]?.value;
    if (!settled) return this.resolve(exchange).then(use);
    try {
      return use(settled);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Authenticates with one backend only (logout must use the backend it logs out of). */
  async authenticateWith(backend: AuthenticationBackend, exchange: HttpExchange): Promise<Principal<U> | null> {
    const resolution = await this.resolve(exchange);
    if (resolution.principal?.backend === backend) return resolution.principal;
    const principal = await this.tryBackend(backend, exchange);
    if (!principal || 'rejected' in principal) return null;
    backend.transport.checkRequest?.(exchange);
    return principal;
  }

  private async run(exchange: HttpExchange): Promise<Resolution<U>> {
    let bearerRejected = false;
    let unavailable: BackendUnavailableError | undefined;
    let rejectionAnswer: RejectionAnswer | undefined;
    const rejections: [AuthenticationBackend, TokenRejectionReason][] = [];
    for (const backend of this.backends) {
      let principal: Principal<U> | TokenRejection | undefined;
      try {
        principal = await this.tryBackend(backend, exchange);
      } catch (error) {
        // A later backend may still authenticate the request while this one's store is down; a bug
        // (500) ends the request: trying on would hide it.
        if (!(error instanceof BackendUnavailableError)) throw error;
        unavailable = error;
        continue;
      }
      if (principal === undefined) continue;
      if ('rejected' in principal) {
        if (backend.transport.challenge !== undefined) bearerRejected = true;
        rejectionAnswer ??= principal.answer;
        rejections.push([backend, principal.rejected]);
        continue;
      }
      try {
        backend.transport.checkRequest?.(exchange);
      } catch (error) {
        return {
          principal: null,
          bearerRejected,
          refusal: toClientError(error, this.reportFailure, `checking the request for the "${backend.name}" backend`, exchange.ip),
        };
      }
      return { principal, bearerRejected: false };
    }
    for (const [backend, reason] of rejections) this.onRejected(backend, reason, exchange);
    if (unavailable) {
      this.onUnavailable(unavailable);
      return { principal: null, bearerRejected, refusal: unavailable };
    }
    return rejectionAnswer ? { principal: null, bearerRejected, rejectionAnswer } : { principal: null, bearerRejected };
  }

  /** undefined: no token for this backend; a rejection: a token, refused; else the principal. */
  private async tryBackend(backend: AuthenticationBackend, exchange: HttpExchange): Promise<Principal<U> | TokenRejection | undefined> {
    const token = backend.transport.readToken(exchange);
    if (token === undefined) return undefined;
    let grant: TokenGrant | TokenRejection | null;
    let user: U | null;
    try {
      const joined = this.joinedReaderFor(backend);
      if (joined) {
        const read = await joined(token, exchange);
        if (isRejection(read)) return read;
        ({ grant, user } = read);
      } else {
        grant = await backend.strategy.read(token, exchange);
        if (!grant) return { rejected: 'unknown' };
        if (isRejection(grant)) return grant;
        user = await this.users.findById(grant.userId);
      }
    } catch (error) {
      throw toClientError(error, this.reportFailure, `authenticating with the "${backend.name}" backend`, exchange.ip);
    }
    // A missing or inactive owner of one of the library's keys is said in the key's own words.
    const refusedOwner = (rejected: 'unknown_user' | 'inactive_user'): TokenRejection =>
      grant.apiKeyId !== undefined ? { rejected, answer: API_KEY_INVALID_ANSWER } : { rejected };
    if (!user) return refusedOwner('unknown_user');
    if (!user.isActive) return refusedOwner('inactive_user');
    // A strategy that says it makes no sessions (API keys) is the one truth for session-only routes,
    // step-up and factor checks, and the OpenAPI document alike.
    if (backend.strategy.sessionless === true) return this.apiKeyPrincipal(user, backend, token, grant);
    // The superuser pseudo-scope stands for a column: a demoted superuser's older tokens lose it at once.
    const scopes = grant.scopes.filter((s) => user.isSuperuser || s !== SUPERUSER_SCOPE);
    return { user, scopes, backend, token, grant, kind: 'token' };
  }

  /** An API key never grants more than its owner has now: its scopes ∩ the owner's current ones. */
  private apiKeyPrincipal(user: U, backend: AuthenticationBackend, token: string, grant: TokenGrant): Principal<U> | Promise<Principal<U>> {
    const where = `reading the scopes of an API key's owner (the "${backend.name}" backend)`;
    const principal = (allowed: string[]): Principal<U> => {
      const scopes = grant.scopes.filter((s) => allowed.includes(s) && (user.isSuperuser || s !== SUPERUSER_SCOPE));
      return { user, scopes, backend, token, grant, kind: 'api_key' };
    };
    let allowed: string[] | Promise<string[]>;
    try {
      allowed = this.ownerScopes(user);
    } catch (error) {
      throw toClientError(error, this.reportFailure, where);
    }
    // The default `getScopes` answers at once: no promise more on every request.
    if (!(allowed instanceof Promise)) return principal(allowed);
    return allowed.then(principal, (error: unknown) => {
      throw toClientError(error, this.reportFailure, where);
    });
  }

  /**
   * The backend's one-round-trip reader of a token and its user, if its strategy offers one for
   * this user store (asked until it answers: a DataSource initialised late is joined then).
   */
  private joinedReaderFor(backend: AuthenticationBackend): TokenAndUserReader<U> | undefined {
    if (!this.userTable || !backend.strategy.readWithUser) return undefined;
    let reader = this.joinedReaders.get(backend);
    if (!reader) {
      reader = backend.strategy.readWithUser(this.userTable);
      if (reader) this.joinedReaders.set(backend, reader);
    }
    return reader;
  }
}
