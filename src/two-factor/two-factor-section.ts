import type { DataSource } from 'typeorm';
import type { BaseUser } from '../entities/base-user';
import { AuthConfigurationError } from '../errors';
import type { PluginContext } from '../lifecycle';
import { recoveryCodeMethod, totpMethod } from './built-in-methods';
import { MemoryPendingLoginStore, type PendingLoginStore } from './pending-logins';
import { RecoveryCodes } from './recovery-codes';
import type { SecondFactorMethod } from './second-factor';
import { SecretBox } from './secret-box';
import { TotpAuthenticators } from './totp-authenticators';
import type { TwoFactorOptions } from './two-factor-options';

/** How long a login waits for its second factor (and an enrolment token lives). */
export const PENDING_LOGIN_LIFETIME_SECONDS = 300;

/** The app's second factors, resolved once from `Auth.configure({ twoFactor })`. */
export interface TwoFactorSection<U extends BaseUser = BaseUser> {
  readonly issuer: string;
  /** Every method a login may be finished with: `totp`, `recovery_code`, then the app's own. */
  readonly methods: readonly SecondFactorMethod<U>[];
  readonly pending: PendingLoginStore;
  readonly totp: TotpAuthenticators;
  readonly recoveryCodes: RecoveryCodes;
  readonly pendingLifetimeSeconds: number;
  /** Whether the policy makes this user have a second factor. */
  isRequiredFor(user: U): Promise<boolean>;
  /** The methods this user has ready, in `methods` order. */
  enrolledMethods(user: U): Promise<SecondFactorMethod<U>[]>;
  /** What `auth.ready()` checks: the entities, the store, each method. */
  ready(): Promise<void>;
}

const RESERVED_FIELDS = new Set(['mfa_token']);
/** The `mfa_required` answer's own members: a method's `begin` result goes under its name beside them. */
const RESERVED_NAMES = new Set(['mfa_required', 'mfa_token', 'methods']);

/** Checks the options and makes the section, its pieces initialised with the app's plugin context. */
export function resolveTwoFactor<U extends BaseUser>(
  options: TwoFactorOptions<U> | undefined,
  appSecret: string,
  plugins: PluginContext,
): TwoFactorSection<U> | undefined {
  if (options === undefined) return undefined;
  const fail = (message: string) => new AuthConfigurationError(`Auth.configure({ twoFactor }): ${message}`);
  if (typeof options.issuer !== 'string' || options.issuer.trim() === '' || options.issuer.includes(':'))
    throw fail('`issuer` must be a non-empty name without ":" (authenticator apps show it above the code).');
  const required = options.required ?? false;
  if (typeof required !== 'boolean' && typeof required !== 'function') throw fail('`required` must be a boolean or a function of the user.');
  const encryptionSecret = options.encryptionSecret ?? appSecret;
  if (typeof encryptionSecret !== 'string' || Buffer.byteLength(encryptionSecret) < 32) throw fail('`encryptionSecret` must be at least 32 bytes.');

  const dataSource = (): DataSource | undefined => plugins.dataSource;
  const totp = new TotpAuthenticators(dataSource, new SecretBox(encryptionSecret), options.issuer);
  const recoveryCodes = new RecoveryCodes(dataSource);
  const methods: SecondFactorMethod<U>[] = [totpMethod<U>(totp), recoveryCodeMethod<U>(recoveryCodes, plugins.events), ...(options.methods ?? [])];
  const names = new Set<string>();
  const fields = new Set<string>();
  for (const method of methods) {
    if (names.has(method.name)) throw fail(`two methods are named "${method.name}".`);
    if (RESERVED_NAMES.has(method.name)) throw fail(`a method cannot be named "${method.name}": the mfa_required answer has a member of that name.`);
    if (fields.has(method.field) || RESERVED_FIELDS.has(method.field))
      throw fail(`the method "${method.name}" reads the field "${method.field}", which another reads.`);
    names.add(method.name);
    fields.add(method.field);
  }
  const pending: PendingLoginStore = options.store ?? new MemoryPendingLoginStore();
  pending.init?.(plugins);
  for (const method of methods) method.init?.(plugins);

  return Object.freeze<TwoFactorSection<U>>({
    issuer: options.issuer,
    methods: Object.freeze(methods),
    pending,
    totp,
    recoveryCodes,
    pendingLifetimeSeconds: PENDING_LOGIN_LIFETIME_SECONDS,
    isRequiredFor: async (user) => (typeof required === 'function' ? Boolean(await required(user)) : required),
    async enrolledMethods(user) {
      const enrolled = await Promise.all(methods.map((method) => method.isEnrolled(user)));
      return methods.filter((_, i) => enrolled[i]);
    },
    async ready() {
      totp.assertUsable();
      recoveryCodes.assertUsable();
      await pending.ready?.();
      for (const method of methods) await method.ready?.();
    },
  });
}
