import type { Auth } from '../auth';
import type { AuthenticationBackend } from '../backend';
import type { BaseUser } from '../entities/base-user';
import type { HttpExchange } from '../http/request';
import { toClientError } from '../request-failures';
import type { LoginResponseBody } from '../transports/transport';

/**
 * The end of every successful login (password or social): a token from the backend's strategy,
 * the `login.succeeded` event, the `onAfterLogin` hook, then the transport's answer (Bearer: the
 * token in the body; cookie: `Set-Cookie` and 204). The caller has already checked the user.
 */
export async function issueLogin<U extends BaseUser>(
  auth: Auth<U>,
  backend: AuthenticationBackend,
  user: U,
  scopes: string[],
  exchange: HttpExchange,
): Promise<LoginResponseBody> {
  const token = await storeCall(auth, 'login', exchange, () => backend.strategy.write({ userId: user.id, scopes, lifetimeSeconds: backend.strategy.lifetimeSeconds }));
  auth.events.publish({ type: 'login.succeeded', userId: user.id, backend: backend.name, ip: exchange.ip });
  await auth.userManager.onAfterLogin(user, exchange.request, exchange.response);
  return backend.transport.loginResponse(token, exchange);
}

/** A store that cannot be reached answers 503 `AUTH_BACKEND_UNAVAILABLE`; any other failure is a reported 500. */
export async function storeCall<T>(auth: Auth<any>, where: string, exchange: HttpExchange, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toClientError(error, auth.reportFailure, where, exchange.ip);
  }
}
