import { isEmail } from 'class-validator';
import { CliError } from '../cli-error';
import type { LibraryPieces } from '../library-pieces';
import { readNewPassword } from '../read-password';

/**
 * Creates an active, verified superuser through `UserManager.create`, so the password policy and
 * the duplicate check are the library's own. Returns the confirmation line.
 */
export async function createSuperuser(pieces: LibraryPieces, email: string): Promise<string> {
  if (!isEmail(email)) throw new CliError(`"${email}" is not an email address.`);
  // Before the password prompt: no one should type a password for an account that cannot be made.
  if (await pieces.users.getByEmail(email)) throw new CliError(`A user with the email ${email} already exists.`);
  const password = await readNewPassword();
  const user = await pieces.users.create({ email, password, isSuperuser: true, isVerified: true, isActive: true }, { safe: false });
  return `Created superuser ${user.email} (id ${user.id}).`;
}
