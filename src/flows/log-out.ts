import type { AuthenticationBackend } from '../backend';
import type { Principal } from '../authenticator';
import type { BaseUser } from '../entities/base-user';
import type { HttpExchange } from '../http/request';
import { revokeToken } from '../strategies/strategy';
import { type ContextSource, contextOf } from './flow-context';
import { refreshCookiePath } from './log-in';

/**
 * Logs the principal out of its backend: revokes its token server-side where the strategy can,
 * revokes its session (refresh tokens included), clears what the client holds (cookies), publishes
 * `logout` and runs `onAfterSessionRevoked` for the session revoked.
 */
export async function logUserOut<U extends BaseUser>(
  app: ContextSource<U>,
  backend: AuthenticationBackend,
  principal: Principal<U>,
  exchange: HttpExchange,
): Promise<void> {
  const { sessions, failures, events, users } = contextOf(app);
  await failures.storeCall(() => revokeToken(backend.strategy, principal.token, principal.grant), 'logout');
  const sessionId = principal.grant.sessionId;
  const revoked = sessionId !== undefined && sessions.enabled ? await failures.storeCall(() => sessions.revoke(sessionId)) : null;
  backend.transport.logoutResponse(exchange, backend.refresh ? refreshCookiePath(backend, exchange) : undefined);
  events.publish({ type: 'logout', userId: principal.user.id, backend: backend.name, ip: exchange.ip });
  if (revoked) await users.manager.notifySessionRevoked(principal.user, revoked, exchange.request);
}
