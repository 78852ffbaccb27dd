import type { Auth } from '../auth';
import type { BaseUser } from '../entities/base-user';
import { requestHeadersAfterLogin } from './login-exchange';

export interface SignedInHeadersOptions {
  /** The backend to sign in through (its strategy makes the token, its transport carries it). Default: the first. */
  backend?: string;
  /** The token's scopes. Default: all the user's. */
  scopes?: string[];
  /** Default: the strategy's lifetime. */
  lifetimeSeconds?: number | null;
  /** The sign-in the token stands for. Default: now, as a password login (so step-up checks pass); `null`: none. */
  authTime?: Date | null;
  /** How that sign-in was made. Default `['pwd']`. */
  amr?: string[];
}

/**
 * The headers a client signed in as `user` sends (`Authorization: Bearer …` or `Cookie: …`): a
 * token from `auth.createToken`, carried the way the backend's transport hands it out at login.
 * No password is checked and no session with a refresh token is started.
 */
export async function signedInHeaders<U extends BaseUser>(auth: Auth<U>, user: U, options: SignedInHeadersOptions = {}): Promise<Record<string, string>> {
  const backend = options.backend !== undefined ? auth.getBackend(options.backend) : auth.backends[0];
  const signIn = options.authTime === null ? {} : { authTime: options.authTime ?? new Date(), amr: options.amr ?? ['pwd'] };
  const token = await auth.createToken(user, { backend: backend.name, scopes: options.scopes, lifetimeSeconds: options.lifetimeSeconds, ...signIn });
  return requestHeadersAfterLogin(backend.transport, token, backend.name);
}
