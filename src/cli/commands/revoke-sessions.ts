import { AccessToken } from '../../entities/access-token';
import { AuthSession } from '../../entities/auth-session';
import { JwtRevocation } from '../../entities/jwt-revocation';
import { CliError } from '../cli-error';
import { describeRevoked, type LibraryPieces } from '../library-pieces';

/** Ends every session and database token of a user ("log out everywhere"). Returns the confirmation line. */
export async function revokeSessions(pieces: LibraryPieces, email: string): Promise<string> {
  if (![AuthSession, AccessToken, JwtRevocation].some((entity) => pieces.has(entity))) {
    throw new CliError(
      'The DataSource has none of the AuthSession, AccessToken and JwtRevocation entities, so no session or token is in the database: add the ones your backends use to its `entities`, or call auth.revokeAllTokens(userId) in the app.',
    );
  }
  const user = await pieces.userByEmail(email);
  return `Revoked for ${user.email}: ${describeRevoked(await pieces.revokeAll(user.id))}.`;
}
