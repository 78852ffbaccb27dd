import { AuthConfigurationError, AuthHttpError, BackendUnavailableError, InternalAuthError, MisconfiguredError } from './errors';
import { isStoreOutage } from './stores/outage';

/** Told of each bug met on the request path, once: logs it and publishes the `internal.error` event. */
export type FailureReporter = (error: unknown, where: string, ip?: string) => void;

/**
 * Writes a failure to the server log. A bug: its stack, every time (each is worth a look). A
 * misconfiguration: one line with its fix, the first time only (`logged` holds those written
 * already); every request meeting it would otherwise repeat the same stack, which reads like an
 * outage and hides the fix.
 */
export function logFailure(error: unknown, where: string, loggedMisconfigurations: Set<string>): void {
  if (!(error instanceof AuthConfigurationError)) {
    console.error(`routing-controllers-auth: ${where} failed:`, error);
    return;
  }
  if (loggedMisconfigurations.has(error.message)) return;
  loggedMisconfigurations.add(error.message);
  console.error(
    `routing-controllers-auth: misconfigured: ${error.message} (met in ${where}; each request meeting it answers 500 AUTH_MISCONFIGURED; logged once)`,
  );
}

/**
 * What the client gets for an error met while authenticating or serving a library route:
 * answers stay answers; a store outage is 503 `AUTH_BACKEND_UNAVAILABLE`; anything else is a bug,
 * reported once and answered 500 `{code, message}` (`AUTH_MISCONFIGURED` for a configuration
 * error), so a bug never hides behind "try again shortly" and never shows its stack to a client.
 */
export function toClientError(error: unknown, report: FailureReporter, where: string, ip?: string): AuthHttpError {
  if (error instanceof AuthHttpError) return error;
  if (isStoreOutage(error)) return BackendUnavailableError.causedBy(error);
  report(error, where, ip);
  return error instanceof AuthConfigurationError ? new MisconfiguredError(error) : new InternalAuthError(error);
}

/**
 * Runs a store call made by a library route: an outage answers 503 `AUTH_BACKEND_UNAVAILABLE`; any
 * other failure goes on as it is, to the route's error handler, which reports it to the app of the
 * controller serving the route and answers 500 (see `toClientError`). The library's flows use their
 * app's `AppFailures.storeCall`, which reports the bug itself.
 */
export async function storeCall<T>(call: () => Promise<T>, _where = 'a store call'): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof AuthHttpError) && isStoreOutage(error)) throw BackendUnavailableError.causedBy(error);
    throw error;
  }
}
