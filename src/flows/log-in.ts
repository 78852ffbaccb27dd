import type { AuthenticationBackend } from '../backend';
import type { BaseUser } from '../entities/base-user';
import type { HttpExchange } from '../http/request';
import type { Rotation, SignIn } from '../sessions/sessions';
import type { LoginResponseBody } from '../transports/transport';
import { type ContextSource, contextOf } from './flow-context';

export interface LogInOptions {
  /**
   * The refresh cookie's path when the backend names none: default the requested route's
   * directory + `/refresh` (right for `AuthController`'s own routes).
   */
  refreshCookiePath?: string;
  /** How the user signed in (RFC 8176 `amr`). Default `['pwd']`; social login gives `['fed']`. */
  amr?: string[];
}

/**
 * Logs a user in through a backend and answers like `POST /login`: an access token (and, with
 * refresh on, a new session and its refresh token) written by the backend's transport. Publishes
 * `login.succeeded` and runs `onAfterLogin`. The caller has authenticated the user already and
 * chosen the scopes (e.g. `grantScopes(allowed, requested)`). Also what social login uses.
 * `app`: the `Auth` (or its `context`).
 */
export async function logUserIn<U extends BaseUser>(
  app: ContextSource<U>,
  backend: AuthenticationBackend,
  user: U,
  exchange: HttpExchange,
  scopes: string[],
  options: LogInOptions = {},
): Promise<LoginResponseBody> {
  const context = contextOf(app);
  const { failures } = context;
  // The sign-in the token (and its session) will carry: step-up checks (`maxAgeSeconds`) read it.
  const signIn: SignIn = { authTime: new Date(), amr: options.amr ?? ['pwd'] };
  let answer: () => LoginResponseBody;
  if (!backend.refresh) {
    const token = await failures.storeCall(
      () => backend.strategy.write({ userId: user.id, scopes, lifetimeSeconds: backend.strategy.lifetimeSeconds, ...signIn }),
      'login',
    );
    answer = () => backend.transport.loginResponse(token, exchange);
  } else {
    const rotation = await failures.storeCall(() => context.sessions.start(backend, user.id, scopes, exchange, signIn));
    const accessToken = await issueSessionAccessToken(context, backend, rotation, scopes);
    answer = () => respondWithTokens(backend, exchange, accessToken, rotation, options);
  }
  context.events.publish({ type: 'login.succeeded', userId: user.id, backend: backend.name, ip: exchange.ip });
  await context.users.manager.notifyLogin(user, exchange.request, exchange.response);
  return answer();
}

/**
 * An access token of the session. If the session was revoked while it was being made (a
 * revocation, or reuse detected by a concurrent refresh), the token is revoked again: a revoked
 * session leaves nothing live behind. The request itself still succeeds — its rotation had won —
 * but what it hands out is already dead, like the session.
 */
export async function issueSessionAccessToken<U extends BaseUser>(
  app: ContextSource<U>,
  backend: AuthenticationBackend,
  rotation: Rotation,
  scopes: string[],
): Promise<string> {
  const { sessions, failures } = contextOf(app);
  const { session } = rotation;
  const token = await failures.storeCall(() =>
    backend.strategy.write({
      userId: session.userId,
      scopes,
      lifetimeSeconds: backend.strategy.lifetimeSeconds,
      sessionId: session.id,
      // The session's sign-in, never the refresh's: refreshing does not make a sign-in recent.
      authTime: session.authTime ?? undefined,
      amr: session.authTime ? session.amr : undefined,
    }),
  );
  if (!(await failures.storeCall(() => sessions.isLive(backend, session.id)))) await failures.storeCall(() => sessions.revokeAccessTokens(session));
  return token;
}

/** The login / refresh answer of a session: access token, refresh token, and their cookies or body. */
export function respondWithTokens(
  backend: AuthenticationBackend,
  exchange: HttpExchange,
  accessToken: string,
  rotation: Rotation,
  options: LogInOptions = {},
): LoginResponseBody {
  return backend.transport.loginResponse(accessToken, exchange, {
    refreshToken: rotation.refreshToken,
    accessExpiresInSeconds: backend.strategy.lifetimeSeconds,
    expiresAt: rotation.session.expiresAt,
    cookiePath: refreshCookiePath(backend, exchange, options.refreshCookiePath),
  });
}

/** The refresh cookie's path: the backend's, the caller's, or the current route's directory + `/refresh`. */
export function refreshCookiePath(backend: AuthenticationBackend, exchange: HttpExchange, given?: string): string {
  const configured = backend.refresh?.cookiePath ?? given;
  if (configured !== undefined) return configured;
  const request = exchange.request as { originalUrl?: unknown } | undefined;
  const url = typeof request?.originalUrl === 'string' ? request.originalUrl : (exchange.raw.url ?? '/');
  const path = url.split('?')[0];
  return `${path.slice(0, path.lastIndexOf('/'))}/refresh`;
}
