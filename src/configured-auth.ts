import type { Principal } from './authenticator';
import type { AuthenticationBackend } from './backend';
import type { AuthContext } from './context/auth-context';
import type { BaseUser } from './entities/base-user';
import type { HttpExchange } from './http/request';
import type { FailureReporter } from './request-failures';
import type { RateLimitedAction } from './security/rate-limited-action';
import type { RateLimits } from './security/rate-limits';

/**
 * What the OpenAPI builder, the route declarations and the controllers' readiness checks read of a
 * configured app. `Auth` implements it; it lives apart so those modules never import `auth.ts`,
 * which loads them (no import circle, not even of types).
 */
export interface ConfiguredAuth<U extends BaseUser = BaseUser> {
  readonly context: AuthContext<U>;
  readonly backends: readonly AuthenticationBackend[];
  readonly scopes: Readonly<Record<string, string>>;
  readonly enumerationSafeRegistration: boolean;
  /** Undefined when `rateLimits: false`. */
  readonly rateLimits: RateLimits | undefined;
  readonly reportFailure: FailureReporter;
  getBackend(name: string): AuthenticationBackend;
  limitAttempt(action: RateLimitedAction, exchange: HttpExchange, account?: string, options?: { perIp?: boolean }): Promise<void>;
  principalFor(exchange: HttpExchange): Promise<Principal<U> | null>;
  /** Throws 401 `UNAUTHORIZED` for an API key: the check of every session-only route. */
  requireSession(principal: Principal<U>): void;
}
