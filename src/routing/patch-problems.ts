import { AuthConfigurationError } from '../errors';

/**
 * The routing-controllers internals a patch (see patches.ts) could not find. The patches run when
 * the library is loaded, where throwing would break the app's imports; `Auth.configure` throws
 * instead, so a routing-controllers release that moved an internal stops the app at start-up
 * rather than silently serving routes without `WWW-Authenticate`, `Retry-After` or inherited
 * `@Authorized`.
 */
const problems: string[] = [];

export function recordPatchProblem(problem: string): void {
  if (!problems.includes(problem)) problems.push(problem);
}

export function routingPatchProblems(): readonly string[] {
  return problems;
}

/** The installed routing-controllers' version, for the error message. */
export function routingControllersVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return String(require('routing-controllers/package.json').version);
  } catch {
    return 'of unknown version';
  }
}

/** Throws `AuthConfigurationError` naming the routing-controllers version and each missing internal. */
export function assertRoutingPatchesApplied(found: readonly string[] = problems): void {
  if (found.length === 0) return;
  throw new AuthConfigurationError(
    `routing-controllers ${routingControllersVersion()} is not supported: the library cannot apply its changes to it (` +
      `${found.join('; ')}). Install a supported routing-controllers (see the README, "Peers").`,
  );
}
