import { logFailure, type FailureReporter } from '../request-failures';
import { AppFailures } from './app-failures';

/**
 * Which app's failure record an error met by routing-controllers' drivers belongs to. The drivers'
 * error handler is one for the process (the library patches it), so it asks, in order: the app that
 * marked the error as its own (a refusal of its authenticator or its flows); the app of the library
 * controller that served the route (its `auth`); the default app (`Auth.configure`'s, as for the
 * base controllers). Undefined before any app is configured.
 */
export function appFailuresFor(error: unknown, route: unknown, action: unknown): AppFailures | undefined {
  return AppFailures.ofError(error) ?? failuresOfController(route, action) ?? defaultApp;
}

let defaultApp: AppFailures | undefined;

/** The default app's failures (set by `Auth.configure`, with the typedi registration base controllers use). */
export function setDefaultAppFailures(failures: AppFailures): void {
  defaultApp = failures;
}

const loggedWithoutApp = new Set<string>();

/** Where a failure no app can be found for goes: the server log only. */
export const reportWithoutApp: FailureReporter = (error, where) => logFailure(error, where, loggedWithoutApp);

/**
 * The app of a library controller: the instance routing-controllers ran the route on (its container
 * answers the same one), and the `Auth` it serves. Undefined for an app's own controllers.
 */
function failuresOfController(route: unknown, action: unknown): AppFailures | undefined {
  const metadata = (route as { controllerMetadata?: { getInstance?(action: unknown): unknown } } | undefined)?.controllerMetadata;
  if (typeof metadata?.getInstance !== 'function') return undefined;
  try {
    const failures = (metadata.getInstance(action) as { auth?: { context?: { failures?: unknown } } } | undefined)?.auth?.context?.failures;
    return failures instanceof AppFailures ? failures : undefined;
  } catch {
    return undefined; // a controller of no configured app (its `auth` throws): the default app's, if any
  }
}
