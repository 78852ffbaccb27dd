import type { AuthenticationBackend } from '../backend';
import type { BaseUser } from '../entities/base-user';
import { AuthConfigurationError } from '../errors';
import { revokeAllTokens } from '../flows/revoke-all';
import type { PluginContext } from '../lifecycle';
import { OAuthAccountStores } from '../oauth/account-stores';
import { resolvePasskeys } from '../passkeys/resolve-passkeys';
import { withPasskeySecondFactor } from '../passkeys/passkey-second-factor-option';
import { AuthEvents } from '../security/events';
import { RateLimits } from '../security/rate-limits';
import { attachDefaultSessionStores } from '../sessions/default-stores';
import { Sessions } from '../sessions/sessions';
import { Argon2PasswordHasher } from '../users/password';
import { UserManager, type UserManagerContext } from '../users/user-manager';
import { TypeOrmUserStore, type UserStore } from '../users/user-store';
import { UserTokens } from '../users/user-tokens';
import { resolveTwoFactor } from '../two-factor/two-factor-section';
import { AppFailures } from './app-failures';
import type { AuthContext, BackendsSection } from './auth-context';
import type { AuthOptions } from './auth-options';
import { checkAuthOptions } from './validate-options';

/** What the `Auth` facade lends the context: its `revokeAllTokens`, which an app may have overridden. */
export interface ContextHooks {
  revokeAllTokens?(userId: string, options?: { exceptSessionId?: string }): Promise<void>;
}

/**
 * Resolves `Auth.configure`'s options once into the app's frozen context: every option checked
 * (`checkAuthOptions`), defaults applied, the app's services made, and every pluggable piece
 * (strategies and their revocation stores, session stores, the user store, OAuth account stores)
 * initialised once with the app's `PluginContext`.
 */
export function resolveAuthContext<U extends BaseUser>(options: AuthOptions<U>, hooks: ContextHooks = {}): AuthContext<U> {
  const checked = checkAuthOptions(options);
  const events = new AuthEvents();
  const plugins: PluginContext = Object.freeze({ dataSource: options.dataSource, events });
  const list: readonly AuthenticationBackend[] = Object.freeze([...options.backends]);
  // Once per piece: a strategy shared by several backends is one piece.
  for (const strategy of new Set(list.map((b) => b.strategy))) strategy.init?.(plugins);
  attachDefaultSessionStores(list, plugins);
  const oauthAccounts = new OAuthAccountStores(options.oauthAccounts, options.dataSource);
  oauthAccounts.init(plugins);
  const rateLimits = options.rateLimits === false ? undefined : new RateLimits(options.rateLimits, events);
  if (options.onEvent) events.on('event', options.onEvent);
  const store: UserStore<U> = options.userStore ?? new TypeOrmUserStore(options.dataSource!, options.userEntity!);
  store.init?.(plugins);
  const failures = new AppFailures(events, options.dataSource);
  const userTokens = new UserTokens(options.secret, checked.verifyLifetimeSeconds, checked.resetLifetimeSeconds);
  const hasher = options.passwordHasher ?? new Argon2PasswordHasher();
  const passkeys = options.passkeys === undefined ? undefined : resolvePasskeys(options.passkeys, options.dataSource, plugins);
  const twoFactor = resolveTwoFactor(withPasskeySecondFactor(options.twoFactor, passkeys), options.secret, plugins);

  // The manager needs the finished context (revoking every token of a user reaches every backend),
  // which its callbacks find once made: they run long after this function returned.
  const managerContext: UserManagerContext<U> = {
    store,
    hasher,
    tokens: userTokens,
    revokeAllTokens: (userId, revokeOptions) =>
      hooks.revokeAllTokens ? hooks.revokeAllTokens(userId, revokeOptions) : revokeAllTokens(context, userId, revokeOptions),
    events,
    unlinkUnverifiedOAuthAccounts: (userId) => oauthAccounts.unlinkUnverified(userId),
    reportFailure: failures.report,
  };
  const ManagerClass = options.userManager ?? UserManager;
  const manager = new ManagerClass(managerContext);

  const context: AuthContext<U> = Object.freeze<AuthContext<U>>({
    dataSource: options.dataSource,
    users: Object.freeze({
      store,
      manager,
      hasher,
      requireVerification: checked.requireVerification,
      enumerationSafeRegistration: checked.enumerationSafeRegistration,
    }),
    tokens: Object.freeze({ userTokens, verifyLifetimeSeconds: checked.verifyLifetimeSeconds, resetLifetimeSeconds: checked.resetLifetimeSeconds }),
    backends: backendsSection(list),
    sessions: new Sessions(list),
    rateLimits,
    events,
    scopes: Object.freeze(checked.scopes),
    stepUp: Object.freeze({ recentSignInMaxAgeSeconds: checked.recentSignInMaxAgeSeconds }),
    oauthAccounts,
    failures,
    requests: Object.freeze({ onUnauthenticated: options.onUnauthenticated }),
    plugins,
    twoFactor,
    passkeys,
  });
  return context;
}

function backendsSection(list: readonly AuthenticationBackend[]): BackendsSection {
  const byName = new Map(list.map((backend) => [backend.name, backend]));
  return Object.freeze({
    list,
    named(name: string): AuthenticationBackend {
      const backend = byName.get(name);
      if (!backend) throw new AuthConfigurationError(`No authentication backend is named "${name}".`);
      return backend;
    },
  });
}
