import type { Auth } from '../auth';
import type { AuthenticationBackend } from '../backend';
import type { BaseUser } from '../entities/base-user';
import type { HttpExchange } from '../http/request';
import type { LoginResponseBody } from '../transports/transport';
import { storeCall } from '../request-failures';
import { issueSessionAccessToken, respondWithTokens } from './issue-login';
import { invalidRefreshToken } from './refresh-token-error';
import { sessionInfoOf, type SessionState } from './session-store';

/**
 * `POST /refresh`: checks the presented refresh token, its session and its user, rotates the
 * token (reuse ends the session and publishes `refresh.reuse_detected`) and answers like login.
 * Nothing is used up by a refused request (unknown token, another backend's, a wider scope).
 */
export async function refreshSession<U extends BaseUser>(
  auth: Auth<U>,
  backend: AuthenticationBackend,
  presented: string,
  requestedScopes: string[] | undefined,
  exchange: HttpExchange,
): Promise<LoginResponseBody> {
  const found = await storeCall(() => auth.sessions.find(backend, presented));
  // Per session, not per token: rotation hands out a new token each time, the session id stays.
  await auth.limitAttempt('refresh', exchange, found.id, { perIp: false });
  const user = await storeCall(() => auth.userManager.get(found.userId));
  if (!user || !user.isActive) {
    await storeCall(() => auth.sessions.end(found.id));
    throw invalidRefreshToken();
  }
  if (requestedScopes && !requestedScopes.every((scope) => found.scopes.includes(scope))) {
    throw invalidRefreshToken("The requested scope is wider than the session's.");
  }

  const onReuse = async (session: SessionState): Promise<void> => {
    const ended = await auth.sessions.end(session.id);
    auth.events.publish({ type: 'refresh.reuse_detected', userId: session.userId, sessionId: session.id, backend: backend.name, ip: exchange.ip });
    // The hook's failure is logged by the user manager; the answer stays the 400 it must be.
    if (ended) await auth.userManager.notifySessionRevoked(user, ended, exchange.request).catch(() => undefined);
  };
  const rotation = await storeCall(() => auth.sessions.rotate(backend, presented, onReuse, found));

  // The session's scopes, narrowed by the request and by what the user may hold today.
  const allowed = await auth.userManager.getScopes(user);
  const scopes = (requestedScopes ?? rotation.session.scopes).filter((scope) => allowed.includes(scope));
  const accessToken = await issueSessionAccessToken(auth, backend, rotation, scopes);
  await auth.userManager.notifyRefresh(user, sessionInfoOf(rotation.session), exchange.request);
  return respondWithTokens(backend, exchange, accessToken, rotation);
}
