import { describeRevoked, type LibraryPieces } from '../library-pieces';

/**
 * Sets `isActive: false` through `UserManager.update`, which also ends every session and token of
 * the user the DataSource holds: login is refused from then on. Returns the confirmation line.
 */
export async function deactivate(pieces: LibraryPieces, email: string): Promise<string> {
  const user = await pieces.userByEmail(email);
  if (!user.isActive) return `${user.email} was already deactivated; nothing changed.`;
  await pieces.users.update(user, { isActive: false }, { safe: false });
  return `Deactivated ${user.email}; ${describeRevoked(pieces.lastRevoked!)}.`;
}
