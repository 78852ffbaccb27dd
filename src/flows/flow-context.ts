import type { BaseUser } from '../entities/base-user';
import type { AuthContext } from '../context/auth-context';

/** What the flows accept: the app's context, or the `Auth` facade holding it (apps call `logUserIn(auth, …)`). */
export type ContextSource<U extends BaseUser> = AuthContext<U> | { readonly context: AuthContext<U> };

/** The context of either. */
export function contextOf<U extends BaseUser>(source: ContextSource<U>): AuthContext<U> {
  return 'context' in source ? source.context : source;
}
