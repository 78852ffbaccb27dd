import { describeRevoked, type LibraryPieces } from '../library-pieces';
import { readNewPassword } from '../read-password';

/**
 * Sets a user's password through `UserManager.update` (the library's policy, the argon2id hash)
 * and ends every session and token of theirs the DataSource holds. Returns the confirmation line.
 */
export async function setPassword(pieces: LibraryPieces, email: string): Promise<string> {
  const user = await pieces.userByEmail(email);
  const password = await readNewPassword();
  await pieces.users.update(user, { password });
  return `Changed the password of ${user.email}; ${describeRevoked(pieces.lastRevoked!)}.`;
}
