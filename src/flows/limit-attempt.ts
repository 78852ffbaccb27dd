import type { AuthContext } from '../context/auth-context';
import type { BaseUser } from '../entities/base-user';
import { TooManyRequestsError } from '../errors';
import type { HttpExchange } from '../http/request';
import type { RateLimitedAction } from '../security/rate-limits';

/**
 * Counts an attempt at a limited route; throws 429 `TOO_MANY_REQUESTS` (and publishes
 * `rate.limited`) when a budget is spent. `perIp: false` counts only the account (its client's
 * attempt was counted already).
 */
export async function limitAttempt<U extends BaseUser>(
  context: AuthContext<U>,
  action: RateLimitedAction,
  exchange: HttpExchange,
  account?: string,
  options: { perIp?: boolean } = {},
): Promise<void> {
  if (!context.rateLimits) return;
  try {
    await context.rateLimits.consume(action, { ip: options.perIp === false ? undefined : exchange.ip, account });
  } catch (error) {
    if (error instanceof TooManyRequestsError) {
      context.events.publish({ type: 'rate.limited', action, retryAfterSeconds: error.retryAfterSeconds, ip: exchange.ip });
    }
    throw error;
  }
}
