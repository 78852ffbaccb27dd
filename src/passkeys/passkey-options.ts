import { isIP } from 'net';
import { AuthConfigurationError } from '../errors';
import type { WebAuthnChallengeStore } from './challenge-store';
import type { PasskeyStore } from './passkey-store';

/** `Auth.configure({ passkeys })`: WebAuthn sign-in and second factor. */
export interface PasskeyOptions {
  /**
   * The relying party id: the site's domain, without scheme or port (`example.com`, or
   * `localhost` in development). A passkey is bound to it: changing it later strands every
   * passkey made before.
   */
  rpID: string;
  /** The name authenticators show ("Example Inc."). */
  rpName: string;
  /**
   * Every origin the ceremony may run on, exactly as browsers send it (`https://example.com`,
   * `https://app.example.com`, `http://localhost:3000`): https, or http on localhost only; each
   * on `rpID` or one of its subdomains. A response made on any other origin is refused.
   */
  origins: string[];
  /**
   * Where challenges wait for their response. Default: this process's memory; give a
   * `RedisWebAuthnChallengeStore` when several instances serve the app.
   */
  challengeStore?: WebAuthnChallengeStore;
  /** Where passkeys live. Default: the `Passkey` entity in `Auth.configure`'s `dataSource`. */
  store?: PasskeyStore;
}

/** The passkey options once checked. */
export interface PasskeySettings {
  readonly rpID: string;
  readonly rpName: string;
  readonly origins: readonly string[];
}

/** A DNS name: dot-separated labels of letters, digits and inner hyphens. */
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Browsers treat these as secure contexts over plain http. */
function isLocalhost(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}

/** Checks `Auth.configure({ passkeys })`; throws `AuthConfigurationError` naming the option and the fix. */
export function checkPasskeyOptions(options: PasskeyOptions): PasskeySettings {
  const where = 'Auth.configure({ passkeys })';
  if (typeof options !== 'object' || options === null) throw new AuthConfigurationError(`${where}: give an object with rpID, rpName and origins.`);
  const { rpID, rpName, origins } = options;
  if (typeof rpID !== 'string' || !DOMAIN.test(rpID) || isIP(rpID)) {
    throw new AuthConfigurationError(
      `${where}: rpID must be the site's domain in lower case, without scheme, port or path (e.g. "example.com", or "localhost" in development), not ${JSON.stringify(rpID)}.`,
    );
  }
  if (typeof rpName !== 'string' || rpName.trim() === '' || rpName.length > 100)
    throw new AuthConfigurationError(`${where}: rpName must be the name authenticators show (1 to 100 characters), e.g. "Example Inc.".`);
  if (!Array.isArray(origins) || origins.length === 0)
    throw new AuthConfigurationError(`${where}: origins must list the origins the site is served from, e.g. ["https://${rpID}"].`);
  for (const origin of origins) checkOrigin(origin, rpID, where);
  for (const [name, store, members] of [
    ['challengeStore', options.challengeStore, ['save', 'take']],
    ['store', options.store, ['create', 'findByCredentialId', 'listForUser', 'hasAny', 'findForUser', 'rename', 'remove', 'recordUse']],
  ] as const) {
    if (store === undefined) continue;
    const missing = members.filter((member) => typeof (store as unknown as Record<string, unknown>)[member] !== 'function');
    if (missing.length > 0) throw new AuthConfigurationError(`${where}: ${name} lacks ${missing.join(', ')}.`);
  }
  return Object.freeze({ rpID, rpName, origins: Object.freeze([...origins]) });
}

function checkOrigin(origin: unknown, rpID: string, where: string): void {
  let url: URL | undefined;
  try {
    url = typeof origin === 'string' ? new URL(origin) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || url.origin !== origin) {
    const hint = url && url.origin !== 'null' ? ` (write it as "${url.origin}")` : '';
    throw new AuthConfigurationError(
      `${where}: ${JSON.stringify(origin)} in origins is not an origin: scheme, host and port only, e.g. "https://${rpID}"${hint}.`,
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLocalhost(url.hostname)))
    throw new AuthConfigurationError(`${where}: origin "${origin}" must use https (browsers allow WebAuthn over plain http on localhost only).`);
  if (url.hostname !== rpID && !url.hostname.endsWith(`.${rpID}`))
    throw new AuthConfigurationError(
      `${where}: origin "${origin}" is not on rpID "${rpID}" or one of its subdomains; browsers refuse such a pairing. Fix rpID or the origin.`,
    );
}
