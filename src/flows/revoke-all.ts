import type { BaseUser } from '../entities/base-user';
import type { AuthContext } from '../context/auth-context';
import { revokeUserTokens } from '../strategies/strategy';

/**
 * "Log out everywhere": revokes every session of the user and every token of theirs in every
 * backend whose strategy can. `exceptSessionId` spares one session (the one changing the password);
 * a JWT revocation cut-off still takes that session's access tokens, which its refresh token replaces.
 */
export async function revokeAllTokens<U extends BaseUser>(context: AuthContext<U>, userId: string, options: { exceptSessionId?: string } = {}): Promise<void> {
  await context.sessions.revokeAllForUser(userId, options.exceptSessionId);
  await Promise.all(context.backends.list.map((b) => revokeUserTokens(b.strategy, userId, options)));
}
