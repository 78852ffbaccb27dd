import type { BaseUser } from '../entities/base-user';
import { AuthConfigurationError } from '../errors';
import type { AuthContext } from './auth-context';

/**
 * Calls `ready()` of every pluggable piece of the app once (a store shared by several backends is
 * one piece): the user store, each strategy, each session store, the rate limits, the OAuth account
 * stores given to `Auth.configure`. Answers each problem once (a DataSource every store finds
 * uninitialised is one problem); an error that is not an `AuthConfigurationError` is thrown on.
 */
export async function pluginProblems<U extends BaseUser>(context: AuthContext<U>): Promise<Set<string>> {
  const problems = new Set<string>();
  const check = async (run: () => Promise<void> | undefined): Promise<void> => {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof AuthConfigurationError)) throw error;
      problems.add(error.message);
    }
  };
  const backends = context.backends.list;
  await check(() => context.users.store.ready?.());
  for (const strategy of new Set(backends.map((b) => b.strategy))) await check(() => strategy.ready?.());
  for (const store of new Set(backends.map((b) => b.refresh?.store))) await check(() => store?.ready?.());
  await check(() => context.rateLimits?.ready());
  for (const store of context.oauthAccounts.configured()) await check(() => store.ready?.());
  await check(() => context.twoFactor?.ready());
  await check(() => context.passkeys?.store.ready?.());
  await check(() => context.passkeys?.challenges.ready?.());
  return problems;
}
