import type { DataSource } from 'typeorm';
import { AuthConfigurationError } from '../errors';
import type { PluginContext } from '../lifecycle';
import { MemoryWebAuthnChallengeStore } from './challenge-store';
import { checkPasskeyOptions, type PasskeyOptions } from './passkey-options';
import { TypeOrmPasskeyStore } from './passkey-store';
import { Passkeys } from './passkeys';

/** `Auth.configure({ passkeys })` checked and made into the app's `Passkeys`, its stores initialised once. */
export function resolvePasskeys(options: PasskeyOptions, dataSource: DataSource | undefined, plugins: PluginContext): Passkeys {
  const settings = checkPasskeyOptions(options);
  if (!options.store && !dataSource)
    throw new AuthConfigurationError(
      'Auth.configure({ passkeys }): passkeys live in the `dataSource` (the Passkey entity); give a `dataSource`, or a `passkeys.store`.',
    );
  const passkeys = new Passkeys(settings, options.store ?? new TypeOrmPasskeyStore(dataSource), options.challengeStore ?? new MemoryWebAuthnChallengeStore());
  passkeys.init(plugins);
  return passkeys;
}
