import type { AuthenticationBackend } from '../backend';
import type { BaseUser } from '../entities/base-user';
import type { HttpExchange } from '../http/request';
import { invalidRefreshToken } from '../sessions/refresh-token-error';
import { sessionInfoOf, type SessionState } from '../sessions/session-store';
import type { LoginResponseBody } from '../transports/transport';
import { limitAttempt } from './limit-attempt';
import { type ContextSource, contextOf } from './flow-context';
import { issueSessionAccessToken, respondWithTokens } from './log-in';

/**
 * `POST /refresh`: checks the presented refresh token, its session and its user, rotates the
 * token (reuse revokes the session and publishes `refresh.reuse_detected`) and answers like login.
 * Nothing is used up by a refused request (unknown token, another backend's, a wider scope).
 */
export async function refreshSession<U extends BaseUser>(
  app: ContextSource<U>,
  backend: AuthenticationBackend,
  presented: string,
  requestedScopes: string[] | undefined,
  exchange: HttpExchange,
): Promise<LoginResponseBody> {
  const context = contextOf(app);
  const { sessions, failures, events } = context;
  const manager = context.users.manager;
  const found = await failures.storeCall(() => sessions.find(backend, presented));
  // Per session, not per token: rotation hands out a new token each time, the session id stays.
  await limitAttempt(context, 'refresh', exchange, found.id, { perIp: false });
  const user = await failures.storeCall(() => manager.get(found.userId));
  if (!user || !user.isActive) {
    await failures.storeCall(() => sessions.revoke(found.id));
    throw invalidRefreshToken();
  }
  if (requestedScopes && !requestedScopes.every((scope) => found.scopes.includes(scope))) {
    throw invalidRefreshToken("The requested scope is wider than the session's.");
  }

  const onReuse = async (session: SessionState): Promise<void> => {
    const revoked = await sessions.revoke(session.id);
    events.publish({ type: 'refresh.reuse_detected', userId: session.userId, sessionId: session.id, backend: backend.name, ip: exchange.ip });
    // The hook's failure is reported by the user manager; the answer stays the 400 it must be.
    if (revoked) await manager.notifySessionRevoked(user, revoked, exchange.request).catch(() => undefined);
  };
  const rotation = await failures.storeCall(() => sessions.rotate(backend, presented, onReuse, found));

  // The session's scopes, narrowed by the request and by what the user may hold today.
  const allowed = await manager.getScopes(user);
  const scopes = (requestedScopes ?? rotation.session.scopes).filter((scope) => allowed.includes(scope));
  const accessToken = await issueSessionAccessToken(context, backend, rotation, scopes);
  await manager.notifyRefresh(user, sessionInfoOf(rotation.session), exchange.request);
  return respondWithTokens(backend, exchange, accessToken, rotation);
}
