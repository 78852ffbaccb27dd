import { AuthConfigurationError, AuthHttpError, BackendUnavailableError, InternalAuthError, MisconfiguredError } from './errors';
import { isStoreOutage } from './stores/outage';

/** Told of each bug met on the request path, once: logs it and publishes the `internal.error` event. */
export type FailureReporter = (error: unknown, where: string, ip?: string) => void;

let routeFailureReporter: FailureReporter = (error, where) => console.error(`routing-controllers-auth: ${where} failed:`, error);

/** Where failures on the library's routes are reported: the configured `Auth` (set by `Auth.configure`). */
export function reportRouteFailuresTo(reporter: FailureReporter): void {
  routeFailureReporter = reporter;
}

/** The reporter of failures met on the library's routes, outside the authenticator. */
export function reportRouteFailure(error: unknown, where: string, ip?: string): void {
  routeFailureReporter(error, where, ip);
}

/**
 * What the client gets for an error met while authenticating or serving a library route:
 * answers stay answers; a store outage is 503 `AUTH_BACKEND_UNAVAILABLE`; anything else is a bug,
 * reported once and answered 500 `{code, message}` (`AUTH_MISCONFIGURED` for a configuration
 * error), so a bug never hides behind "try again shortly" and never shows its stack to a client.
 */
export function toClientError(error: unknown, report: FailureReporter, where: string, ip?: string): AuthHttpError {
  if (error instanceof AuthHttpError) return error;
  if (isStoreOutage(error)) return new BackendUnavailableError();
  report(error, where, ip);
  return error instanceof AuthConfigurationError ? new MisconfiguredError(error) : new InternalAuthError(error);
}

/**
 * Runs a store call made by a library route: an outage answers 503 `AUTH_BACKEND_UNAVAILABLE`; any
 * other failure is a bug, reported once and answered 500 (see `toClientError`).
 */
export async function storeCall<T>(call: () => Promise<T>, where = 'a store call'): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toClientError(error, reportRouteFailure, where);
  }
}
