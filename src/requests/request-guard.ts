import type { Action } from 'routing-controllers';
import { Authenticator, type Principal, type Resolution } from '../authenticator';
import type { AppFailures } from '../context/app-failures';
import type { AuthContext } from '../context/auth-context';
import { preparingErrorAnswer } from '../http/error-answer';
import type { BaseUser } from '../entities/base-user';
import { exchangeFromAction, type HttpExchange } from '../http/request';
import { type AccessRequirement, accessRequirementOf, isRecentSignIn } from '../security/access-requirement';
import { factorCount } from '../security/factors';
import { hasAllScopes } from '../users/scopes';
import { Challenges } from './challenges';

/**
 * The request layer of one app: routing-controllers' checkers, the principal of a request, and the
 * 401 / 403 / step-up answers with their challenge. Each request is authenticated once (the
 * authenticator caches the outcome on the request), whichever of these asks first.
 */
export class RequestGuard<U extends BaseUser> {
  readonly authenticator: Authenticator<U>;
  readonly challenges: Challenges;
  private readonly recentSignInMaxAgeSeconds: number;
  private readonly failures: AppFailures;

  constructor(context: AuthContext<U>) {
    const { events, failures } = context;
    this.authenticator = new Authenticator(
      context.backends.list,
      context.users.store,
      (backend, reason, exchange) => events.publish({ type: 'token.rejected', backend: backend.name, reason, ip: exchange.ip }),
      failures.report,
      (refusal) => failures.own(refusal),
      (user) => context.users.manager.getScopes(user),
    );
    this.challenges = new Challenges(context.backends.list, context.requests.onUnauthenticated);
    this.recentSignInMaxAgeSeconds = context.stepUp.recentSignInMaxAgeSeconds;
    this.failures = failures;
  }

  /**
   * routing-controllers' `authorizationChecker`: 401 without a valid credential, 403
   * `INSUFFICIENT_SCOPE` when the credential lacks one of the listed scopes, 401
   * `REAUTHENTICATION_REQUIRED` when `@Authorized({ maxAgeSeconds })` finds the sign-in too old
   * or `@Authorized({ factors })` finds it proved too few factors.
   */
  readonly authorizationChecker = (action: Action, roles: unknown[] = []): boolean | Promise<boolean> => {
    // A refusal's headers (WWW-Authenticate, Retry-After) are set here: routing-controllers sends only status and body.
    const exchange = exchangeFromAction(action);
    return preparingErrorAnswer(
      exchange,
      () => this.authenticator.withResolution(exchange, (resolution) => this.authorize(resolution, action, accessRequirementOf(roles))),
      this.failures,
    );
  };

  /** routing-controllers' `currentUserChecker`: the authenticated user, or null. */
  readonly currentUserChecker = (action: Action): U | null | Promise<U | null> => {
    const exchange = exchangeFromAction(action);
    return preparingErrorAnswer(
      exchange,
      () => this.authenticator.withResolution(exchange, (resolution) => principalOf(resolution)?.user ?? null),
      this.failures,
    );
  };

  /** The principal of a request (cached per request), or null; throws a refusal (CSRF, store down). */
  async principalFor(exchange: HttpExchange): Promise<Principal<U> | null> {
    return preparingErrorAnswer(exchange, async () => principalOf(await this.authenticator.resolve(exchange)), this.failures);
  }

  /**
   * Throws 401 `REAUTHENTICATION_REQUIRED` (RFC 9470 challenge with `max_age`) unless the
   * principal's sign-in is at most `maxAgeSeconds` old.
   */
  requireRecentSignIn(principal: Principal<U>, maxAgeSeconds: number = this.recentSignInMaxAgeSeconds): void {
    // An API key is no sign-in: it never passes, whatever its grant says.
    if (principal.kind !== 'api_key' && isRecentSignIn(principal.grant.authTime, maxAgeSeconds)) return;
    throw this.challenges.reauthentication(maxAgeSeconds);
  }

  /**
   * Throws 401 `UNAUTHORIZED` (`SessionRequiredError`, RFC 9470 challenge) when the principal is an
   * API key: the one check behind every session-only route (`@LibraryRoute({ sessionOnly })`,
   * `@Authorized({ sessionOnly })`, `confirmAccountHolder`).
   */
  requireSession(principal: Principal<U>): void {
    if (principal.kind === 'api_key') throw this.challenges.sessionRequired();
  }

  /** The 401 for this request (or the app's `onUnauthenticated` error). */
  unauthenticatedError(action: Action | undefined, resolution: Pick<Resolution<U>, 'bearerRejected' | 'rejectionAnswer'>): Error {
    return this.challenges.unauthenticated(action, resolution.bearerRejected, resolution.rejectionAnswer);
  }

  /** True when the resolution lets the request through with these scopes; throws the 401/403/refusal otherwise. */
  private authorize(resolution: Resolution<U>, action: Action, requirement: AccessRequirement): true {
    const principal = principalOf(resolution);
    if (!principal) throw this.unauthenticatedError(action, resolution);
    const { scopes, maxAgeSeconds, factors } = requirement;
    if (requirement.sessionOnly) this.requireSession(principal);
    if (!hasAllScopes(principal.scopes, scopes)) throw this.challenges.insufficientScope(scopes);
    if (maxAgeSeconds !== undefined) this.requireRecentSignIn(principal, maxAgeSeconds);
    // Only a sign-in's amr counts: a token without a sign-in time, or an API key, stands for no sign-in at all.
    const signedIn = principal.kind !== 'api_key' && principal.grant.authTime !== undefined;
    if (factors !== undefined && factorCount(signedIn ? principal.grant.amr : undefined) < factors) {
      throw this.challenges.moreFactors(factors);
    }
    return true;
  }
}

/** The principal (null when anonymous); throws the refusal (CSRF, store down) when there is one. */
export function principalOf<U extends BaseUser>(resolution: Resolution<U>): Principal<U> | null {
  if (resolution.refusal) throw resolution.refusal;
  return resolution.principal;
}
