import { getMetadataArgsStorage } from 'routing-controllers';
import { Container } from 'typedi';
import type { ConfiguredAuth } from '../configured-auth';
import { AuthConfigurationError } from '../errors';
import { isLibraryController } from './library-controller';

/** A base controller that can say what it needs from its `Auth` (today: `OAuthController`). */
interface CheckedController {
  usesAuth(auth: ConfiguredAuth<any>): boolean;
  readinessProblems(): Promise<string[]>;
}

function isChecked(instance: unknown): instance is CheckedController {
  const candidate = instance as Partial<CheckedController> | null;
  return typeof candidate?.readinessProblems === 'function' && typeof candidate.usesAuth === 'function';
}

/** The app's controller as routing-controllers makes it: from typedi, else with `new`. */
function instantiate(target: Function): unknown {
  try {
    return Container.get(target as any);
  } catch {
    return new (target as new () => unknown)();
  }
}

/**
 * What the app's controllers built on the library's base controllers need from `auth` (an
 * `OAuthController`'s `OAuthAccount` entity, state store, backend), one message per problem.
 *
 * The `Auth` is configured before routing-controllers makes any controller (it does so per request),
 * so the controllers are found where routing-controllers finds them: the classes given (the app's
 * `controllers` list), else every controller class its metadata storage holds, as `auth.openApi()`
 * does. Controllers serving another `Auth` are left to it. A discovered class that cannot be made
 * outside a request is skipped; a given one is reported.
 */
export async function controllerProblems(auth: ConfiguredAuth<any>, given: Function[] | undefined): Promise<string[]> {
  const targets = given ?? [...new Set(getMetadataArgsStorage().controllers.map((c) => c.target))];
  const problems: string[] = [];
  for (const target of targets) {
    if (!isLibraryController(target)) continue;
    let instance: unknown;
    try {
      instance = instantiate(target);
    } catch (error) {
      if (error instanceof AuthConfigurationError) problems.push(error.message);
      else if (given) problems.push(`${target.name} could not be made to check what it needs: ${(error as Error)?.message ?? error}`);
      continue;
    }
    if (isChecked(instance) && instance.usesAuth(auth)) problems.push(...(await instance.readinessProblems()));
  }
  return problems;
}
